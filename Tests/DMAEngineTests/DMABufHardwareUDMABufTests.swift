import DMABuf
import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// udmabuf itself (the DMABuf library, no domain): memfd coherence, UDMABUF_CREATE_LIST, and the
/// kernel agreeing with the checks made before the ioctl. Needs /dev/udmabuf (the test guest).
@Suite(.enabled(if: Hardware.udmabuf, "needs /dev/udmabuf (CONFIG_UDMABUF): run Tests/VM/dmabuf-tests.sh"))
struct DMABufHardwareUDMABufTests {
    let page = PageSize.bytes

    @Test func writesThroughTheDMABufAppearInTheMemfdAndBack() throws {
        let device = try UDMABufDevice()
        let (memfd, file) = try device.allocate(length: UInt64(3 * page))
        #expect(file.size == UInt64(3 * page))
        #expect(file.exporter == "udmabuf")
        // Map the dma-buf itself (not the memfd): the point is that the two views share pages.
        let buffer = try DMABuffer(file: file)
        #expect(!buffer.mapsMemfd)
        let pattern = (0..<buffer.length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try buffer.beginAccess(.write)
        pattern.withUnsafeBytes { buffer.mapping.bytes.copyMemory(from: $0) }
        try buffer.endAccess(.write)
        var readBack = [UInt8](repeating: 0, count: buffer.length)
        #expect(pread(memfd.rawValue, &readBack, readBack.count, 0) == readBack.count)
        #expect(readBack == pattern)

        let other = [UInt8](repeating: 0x5A, count: page)
        #expect(pwrite(memfd.rawValue, other, other.count, off_t(page)) == other.count)
        try buffer.beginAccess(.read)
        let seen = Array(buffer.mapping.bytes[page..<(2 * page)])
        try buffer.endAccess(.read)
        #expect(seen == other)
    }

    @Test func createListConcatenatesMemfdRanges() throws {
        let device = try UDMABufDevice()
        let first = try Memfd.create(name: "first", size: UInt64(2 * page))
        let second = try Memfd.create(name: "second", size: UInt64(4 * page))
        #expect(pwrite(first.rawValue, [UInt8](repeating: 1, count: page), page, off_t(page)) == page)
        #expect(pwrite(second.rawValue, [UInt8](repeating: 2, count: 2 * page), 2 * page, off_t(2 * page)) == 2 * page)
        let file = try device.create(segments: [
            UDMABufSegment(memfd: first.rawValue, offset: UInt64(page), size: UInt64(page)),
            UDMABufSegment(memfd: second.rawValue, offset: UInt64(2 * page), size: UInt64(2 * page)),
        ])
        #expect(file.size == UInt64(3 * page))
        let buffer = try DMABuffer(file: file)
        try buffer.beginAccess(.read)
        let bytes = Array(buffer.mapping.bytes)
        try buffer.endAccess(.read)
        #expect(bytes[0..<page].allSatisfy { $0 == 1 } && bytes[page...].allSatisfy { $0 == 2 })
    }

    /// Each request the checks refuse is refused by the kernel too (EINVAL), so the checks only
    /// add a clear message, never a different outcome.
    @Test func theKernelRefusesWhatTheChecksRefuse() throws {
        let device = try UDMABufDevice()
        let limits = device.limits
        let listLimit = try #require(limits.listLimit, "udmabuf exposes list_limit")
        let sizeLimit = try #require(limits.sizeLimitBytes, "udmabuf exposes size_limit_mb")
        let sealed = try Memfd.create(name: "sealed", size: sizeLimit + UInt64(page))
        let unsealed = try Memfd.create(name: "unsealed", size: UInt64(page), seals: [])
        let cases: [(String, [UDMABufSegment])] = [
            ("misaligned size", [UDMABufSegment(memfd: sealed.rawValue, offset: 0, size: UInt64(page / 2))]),
            ("misaligned offset", [UDMABufSegment(memfd: sealed.rawValue, offset: 512, size: UInt64(page))]),
            ("no F_SEAL_SHRINK", [UDMABufSegment(memfd: unsealed.rawValue, offset: 0, size: UInt64(page))]),
            ("above size_limit_mb", [UDMABufSegment(memfd: sealed.rawValue, offset: 0, size: sizeLimit + UInt64(page))]),
            ("above list_limit", (0...Int(listLimit)).map { _ in UDMABufSegment(memfd: sealed.rawValue, offset: 0, size: UInt64(page)) }),
        ]
        for (name, segments) in cases {
            #expect(throws: DMAError.self, "checks: \(name)") { try limits.validate(segments) }
            switch device.createUnchecked(segments: segments) {
            case .success: Issue.record("kernel accepted \(name)")
            case .failure(let error): #expect(error.errno == EINVAL, "kernel: \(name): \(error.message)")
            }
        }
        // And the limits themselves are accepted.
        let atLimit = (0..<Int(listLimit)).map { _ in UDMABufSegment(memfd: sealed.rawValue, offset: 0, size: UInt64(page)) }
        #expect(throws: Never.self) { _ = try device.create(segments: atLimit) }
        #expect(throws: Never.self) { _ = try device.create(memfd: sealed.rawValue, offset: 0, size: sizeLimit) }
    }

    @Test func allocationsMapTheirMemfdWhichCanBePinned() throws {
        let (memfd, file) = try UDMABufDevice().allocate(length: UInt64(2 * page))
        let buffer = try DMABuffer(file: file, memfd: memfd)
        #expect(buffer.mapsMemfd && buffer.length == 2 * page)
        // The dma-buf's own mapping sees what is written through the memfd mapping.
        let view = try DMABuffer(file: file)
        buffer.mapping.bytes.initializeMemory(as: UInt8.self, repeating: 0x3C)
        try view.beginAccess(.read)
        let seen = Array(view.mapping.bytes)
        try view.endAccess(.read)
        #expect(seen.allSatisfy { $0 == 0x3C })
    }

    @Test func importedFDIsValidatedAndDuplicated() throws {
        let (memfd, file) = try UDMABufDevice().allocate(length: UInt64(page))
        let imported = try DMABufFile.importing(fd: file.fd)
        #expect(imported.fd != file.fd && imported.size == file.size && imported.exporter == "udmabuf")
        _ = memfd
    }
}
