import CDMAHostABI
import DMABuf
import DMADriverKit
import DMAHost
import Synchronization
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// The udmabuf domain ("dmabuf:udmabuf") through the spdk_memory_domain_* API: memfd coherence,
/// memzero, any iovec layout, translate, transfer, errors. Needs /dev/udmabuf (the test guest).
@Suite(.enabled(if: Hardware.udmabuf && Hardware.root, "needs /dev/udmabuf (CONFIG_UDMABUF) and root: run Tests/VM/dmabuf-tests.sh"))
struct DMABufHardwareDomainTests {
    @Test func pushIsVisibleInTheMemfdAndMemfdWritesAreVisibleToPull() async throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        #expect(opened.domain.id == "dmabuf:udmabuf")
        let buffer = try opened.interface.allocate(length: 10_000)
        let memfd = try #require(buffer.memfd)
        #expect(buffer.length == 12_288 && buffer.gemHandle == nil)

        let data = LocalMemory(buffer.length)
        data.randomize()
        try await opened.domain.push(into: [(buffer.address, buffer.length)], from: [(data.base, buffer.length)])
        var fromMemfd = [UInt8](repeating: 0, count: buffer.length)
        #expect(pread(memfd, &fromMemfd, fromMemfd.count, 0) == fromMemfd.count)
        #expect(fromMemfd == Array(data.bytes))
        // ...and in the dma-buf, through its own (exporter's) mapping.
        let dmabufView = try DMABuffer(file: DMABufFile.importing(fd: buffer.fd))
        try dmabufView.beginAccess(.read)
        let fromDMABuf = Array(dmabufView.mapping.bytes)
        try dmabufView.endAccess(.read)
        #expect(fromDMABuf == Array(data.bytes))

        let written = (0..<buffer.length).map { UInt8(truncatingIfNeeded: $0 ^ 0xA5) }
        #expect(pwrite(memfd, written, written.count, 0) == written.count)
        let back = LocalMemory(buffer.length, fill: 0)
        try await opened.domain.pull(from: [(buffer.address, buffer.length)], into: [(back.base, buffer.length)])
        #expect(Array(back.bytes) == written)
        try opened.interface.release(buffer.address)
    }

    @Test func memzeroClearsExactlyTheGivenRanges() async throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        let buffer = try opened.interface.allocate(length: 8192)
        let memfd = try #require(buffer.memfd)
        #expect(pwrite(memfd, [UInt8](repeating: 0xFF, count: 8192), 8192, 0) == 8192)
        try await opened.domain.memzero([(buffer.address + 10, 100), (buffer.address + 5000, 3000)])
        var bytes = [UInt8](repeating: 0, count: 8192)
        #expect(pread(memfd, &bytes, 8192, 0) == 8192)
        #expect(bytes[0..<10].allSatisfy { $0 == 0xFF } && bytes[10..<110].allSatisfy { $0 == 0 } && bytes[110..<5000].allSatisfy { $0 == 0xFF })
        #expect(bytes[5000..<8000].allSatisfy { $0 == 0 } && bytes[8000...].allSatisfy { $0 == 0xFF })
    }

    /// Random segmentation on both sides, across several buffers of the domain, both directions.
    @Test(arguments: 0..<12)
    func anyIovecLayoutRoundTrips(round: Int) async throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        var generator = SystemRandomNumberGenerator()
        let buffers = try (0..<3).map { _ in try opened.interface.allocate(length: Int.random(in: 1...40_000, using: &generator)) }
        var domainPieces: [(UnsafeMutableRawPointer, Int)] = []
        for buffer in buffers {
            let start = Int.random(in: 0..<(buffer.length / 2), using: &generator)
            let length = Int.random(in: 1...(buffer.length - start), using: &generator)
            domainPieces += randomPieces(buffer.address + start, length, maxPiece: Int.random(in: 1...9000, using: &generator), using: &generator)
        }
        let total = domainPieces.reduce(0) { $0 + $1.1 }
        let source = LocalMemory(total)
        source.randomize()
        try await opened.domain.push(into: domainPieces, from: randomPieces(source.base, total, maxPiece: 777, using: &generator))
        // The local side holds exactly the domain side's bytes (dmahost/iovec.h); 100 more bytes
        // of memory after it must stay untouched.
        let back = LocalMemory(total + 100, fill: 0xCC)
        try await opened.domain.pull(from: domainPieces, into: randomPieces(back.base, total, maxPiece: 3333, using: &generator))
        #expect(Array(back.bytes.prefix(total)) == Array(source.bytes), "round \(round): \(domainPieces.count) domain pieces")
        #expect(back.bytes.suffix(100).allSatisfy { $0 == 0xCC })
    }

    @Test func translateGivesTheMappingAndTheDMABufRange() throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        let buffer = try opened.interface.allocate(length: 3 * PageSize.bytes)
        var extended = dmahost_dmabuf_translation_result()
        extended.base.size = MemoryLayout<dmahost_dmabuf_translation_result>.size
        let address = buffer.address + 5000
        let rc = withUnsafeMutablePointer(to: &extended.base) {
            spdk_memory_domain_translate_data(UnsafeMutablePointer(opened.domain.handle), nil, UnsafeMutablePointer(MemoryDomain.system.handle), nil, address, 700, $0)
        }
        #expect(rc == 0)
        #expect(extended.base.iov_count == 1 && extended.base.iov.iov_base == address && extended.base.iov.iov_len == 700)
        #expect(extended.base.dst_domain.map(OpaquePointer.init) == MemoryDomain.system.handle)
        #expect(extended.dmabuf.fd == buffer.fd && extended.dmabuf.offset == 5000 && extended.dmabuf.length == 700)
        #expect(extended.dmabuf.dmabuf_size == UInt64(3 * PageSize.bytes) && extended.dmabuf.addr == address)
        // The plain SPDK result is filled without the extension.
        let plain = try opened.domain.translate(address, length: 700, to: MemoryDomain.system)
        #expect(plain.iov.iov_base == address && plain.iov_count == 1)
        let range = try opened.interface.lookup(address, length: 700)
        #expect(range.fd == buffer.fd && range.offset == 5000)
    }

    @Test func addressesOutsideOrAcrossBuffersAndUnknownReleasesAreRefused() async throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        let a = try opened.interface.allocate(length: 4096)
        let b = try opened.interface.allocate(length: 4096)
        let local = LocalMemory(8192)
        func pullError(_ address: UnsafeMutableRawPointer, _ length: Int) async -> Int32 {
            do throws(DMAError) {
                try await opened.domain.pull(from: [(address, length)], into: [(local.base, length)])
                return 0
            } catch { return error.errno }
        }
        #expect(await pullError(local.base, 16) == EFAULT, "system memory is not in the domain")
        #expect(await pullError(a.address + 4000, 200) == EINVAL, "a range leaving its buffer")
        #expect(await pullError(a.address, 4096) == 0)
        do throws(DMAError) {
            try await opened.domain.push(into: [(a.address, 100)], from: [(local.base, 200)])
            Issue.record("a destination shorter than the source was accepted")
        } catch { #expect(error.errno == EINVAL && error.message.contains("push into")) }
        #expect(throws: DMAError.self) { try opened.interface.release(a.address + 1) }
        try opened.interface.release(b.address)
        #expect(await pullError(b.address, 16) == EFAULT, "a released buffer is gone")
        let invalidated = IOVecs(a.address, 4096)
        try opened.domain.invalidate(invalidated.list)
    }

    @Test func importedDMABufIsSharedWithItsOwner() async throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        let (memfd, file) = try UDMABufDevice().allocate(length: UInt64(4 * PageSize.bytes))
        let imported = try opened.interface.importBuffer(fd: file.fd, offset: UInt64(PageSize.bytes), length: UInt64(2 * PageSize.bytes))
        #expect(imported.fd != file.fd && imported.offset == UInt64(PageSize.bytes) && imported.length == 2 * PageSize.bytes)
        let data = LocalMemory(imported.length)
        data.randomize()
        try await opened.domain.push(into: [(imported.address, imported.length)], from: [(data.base, imported.length)])
        var fromMemfd = [UInt8](repeating: 0, count: imported.length)
        #expect(pread(memfd.rawValue, &fromMemfd, fromMemfd.count, off_t(PageSize.bytes)) == fromMemfd.count)
        #expect(fromMemfd == Array(data.bytes))
        #expect(throws: DMAError.self) { _ = try opened.interface.importBuffer(fd: file.fd, offset: 100) }
        #expect(throws: DMAError.self) { _ = try opened.interface.importBuffer(fd: file.fd, offset: 0, length: UInt64(8 * PageSize.bytes)) }
        #expect(throws: DMAError.self) { _ = try opened.interface.importBuffer(fd: memfd.rawValue) }
    }
}
