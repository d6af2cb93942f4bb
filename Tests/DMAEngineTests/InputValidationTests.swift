import DMABuf
import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bad input to the dma-buf layer, each refused with its own clear error, checked without any
/// dma-buf device (the checks run before the kernel is asked; the guest suites confirm the kernel agrees).
@Suite struct InputValidationTests {
    let page = UInt64(PageSize.bytes)

    func expectError(_ expectedErrno: Int32, containing text: String, _ body: () throws -> Void,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected an error containing '\(text)'", sourceLocation: sourceLocation)
        } catch let error as DMAError {
            #expect(error.errno == expectedErrno, "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func memfdWithoutShrinkSealIsRefused() throws {
        let memfd = try Memfd.create(name: "unsealed", size: page, seals: [])
        expectError(EINVAL, containing: "F_SEAL_SHRINK") {
            try UDMABufLimits(listLimit: nil, sizeLimitMB: nil).validate([UDMABufSegment(memfd: memfd.rawValue, offset: 0, size: page)])
        }
    }

    @Test func writeSealedMemfdIsRefused() throws {
        let memfd = try Memfd.create(name: "readonly", size: page, seals: [.shrink, .write])
        expectError(EINVAL, containing: "F_SEAL_WRITE") {
            try UDMABufLimits(listLimit: nil, sizeLimitMB: nil).validate([UDMABufSegment(memfd: memfd.rawValue, offset: 0, size: page)])
        }
    }

    @Test func sealedMemfdWithAlignedRangePasses() throws {
        let memfd = try Memfd.create(name: "good", size: 4 * page)
        try UDMABufLimits(listLimit: 4, sizeLimitMB: 1).validate([
            UDMABufSegment(memfd: memfd.rawValue, offset: 0, size: page),
            UDMABufSegment(memfd: memfd.rawValue, offset: 2 * page, size: 2 * page),
        ])
        #expect(try Memfd.seals(of: memfd.rawValue)?.contains(.shrink) == true)
    }

    @Test func misalignedOffsetAndSizeAreRefused() throws {
        let memfd = try Memfd.create(name: "aligned", size: 4 * page)
        let limits = UDMABufLimits(listLimit: nil, sizeLimitMB: nil)
        expectError(EINVAL, containing: "offset 100 is not a multiple of the page size") {
            try limits.validate([UDMABufSegment(memfd: memfd.rawValue, offset: 100, size: page)])
        }
        expectError(EINVAL, containing: "size 5000 is not a multiple of the page size") {
            try limits.validate([UDMABufSegment(memfd: memfd.rawValue, offset: 0, size: 5000)])
        }
        expectError(EINVAL, containing: "size is 0") {
            try limits.validate([UDMABufSegment(memfd: memfd.rawValue, offset: 0, size: 0)])
        }
        expectError(EINVAL, containing: "beyond the memfd") {
            try limits.validate([UDMABufSegment(memfd: memfd.rawValue, offset: 2 * page, size: 4 * page)])
        }
    }

    @Test func listAndSizeLimitsAreEnforcedWithTheirParameterNames() throws {
        let memfd = try Memfd.create(name: "limits", size: 4 * 1024 * 1024)
        let three = (0..<3).map { UDMABufSegment(memfd: memfd.rawValue, offset: UInt64($0) * page, size: page) }
        expectError(EINVAL, containing: "list_limit of 2") { try UDMABufLimits(listLimit: 2, sizeLimitMB: nil).validate(three) }
        expectError(EINVAL, containing: "size_limit_mb of 1 MiB") {
            try UDMABufLimits(listLimit: nil, sizeLimitMB: 1).validate([UDMABufSegment(memfd: memfd.rawValue, offset: 0, size: 2 * 1024 * 1024)])
        }
        expectError(EINVAL, containing: "at least one") { try UDMABufLimits(listLimit: nil, sizeLimitMB: nil).validate([]) }
    }

    @Test func closedFdIsRefusedAsMemfdAndAsDMABuf() {
        let fd = closedDescriptor()
        expectError(EBADF, containing: "is not open") {
            try UDMABufLimits(listLimit: nil, sizeLimitMB: nil).validate([UDMABufSegment(memfd: fd, offset: 0, size: page)])
        }
        expectError(EBADF, containing: "is not open") { _ = try DMABufFile.importing(fd: fd) }
        expectError(EINVAL, containing: "negative") { _ = try DMABufFile.importing(fd: -1) }
    }

    @Test func pipeIsNotAMemfdNorADMABuf() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        expectError(EINVAL, containing: "is not a memfd") {
            try UDMABufLimits(listLimit: nil, sizeLimitMB: nil).validate([UDMABufSegment(memfd: ends[0], offset: 0, size: page)])
        }
        expectError(EINVAL, containing: "is not a dma-buf (it refers to pipe:[") { _ = try DMABufFile.importing(fd: ends[0]) }
        // Without procfs the check falls back to DMA_BUF_IOCTL_SYNC, which a pipe does not know.
        expectError(EINVAL, containing: "is not a dma-buf (DMA_BUF_IOCTL_SYNC") {
            _ = try DMABufFile.importing(fd: ends[0], procRoot: "/nonexistent-proc")
        }
    }

    @Test func regularFileAndMemfdAreNotDMABufs() throws {
        let path = "/tmp/dmahost-not-a-dmabuf-\(getpid())"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        expectError(EINVAL, containing: "it refers to \(path)") { _ = try DMABufFile.importing(fd: fd) }
        let memfd = try Memfd.create(name: "plain-memfd", size: page)
        expectError(EINVAL, containing: "is not a dma-buf (it refers to /memfd:plain-memfd") { _ = try DMABufFile.importing(fd: memfd.rawValue) }
    }

    @Test func misalignedMapOffsetAndOutOfRangeImportAreRefused() throws {
        let memfd = try Memfd.create(name: "mappable", size: 4 * page)
        let file = try DMABufFile(adopting: OwnedFileDescriptor.duplicating(memfd.rawValue))
        #expect(file.size == 4 * page)
        expectError(EINVAL, containing: "not a multiple of the page size") { _ = try DMABuffer(file: file, offset: 100, length: page) }
        expectError(EINVAL, containing: "is not inside") { _ = try DMABuffer(file: file, offset: 8 * page) }
        expectError(EINVAL, containing: "is not inside") { _ = try DMABuffer(file: file, offset: page, length: 4 * page) }
        let buffer = try DMABuffer(file: file, offset: page)
        #expect(buffer.length == Int(3 * page) && buffer.offset == page)
        // Not a dma-buf: the sync ioctl says so.
        expectError(ENOTTY, containing: "DMA_BUF_IOCTL_SYNC") { try buffer.beginAccess(.read) }
    }

    @Test func fdinfoParsesTheDMABufFields() {
        let text = "pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\nsize:\t8192\ncount:\t2\nexp_name:\tudmabuf\nname:\t\n"
        let info = FDInfo(fdinfo: text, target: "/dmabuf:")
        #expect(info.isDMABuf && info.exporter == "udmabuf" && info.size == 8192)
        #expect(info.flags == 0o2000002)
        #expect(!FDInfo(fdinfo: "pos:\t0\nflags:\t02\n", target: "pipe:[1]").isDMABuf)
    }

    @Test func missingDeviceNodesNameTheKernelOption() throws {
        let fixture = try Fixture()
        expectError(ENOENT, containing: "CONFIG_UDMABUF not enabled") { _ = try UDMABufDevice(path: "\(fixture.root)/udmabuf") }
        expectError(ENOENT, containing: "CONFIG_DMABUF_HEAPS") { _ = try DMAHeap(name: "system", devRoot: fixture.root) }
        expectError(ENOENT, containing: "modprobe vgem") { _ = try DRMDevice(path: "\(fixture.root)/dri/card0") }
        try fixture.write("dri/card0", "not a device")
        do throws(DMAError) {
            _ = try DRMDevice(path: "\(fixture.root)/dri/card0")
            Issue.record("a regular file passed as a DRM device")
        } catch {
            #expect(error.message.contains("not a DRM device node"))
        }
    }

    @Test func limitsAreReadFromTheModuleParameters() throws {
        let fixture = try Fixture()
        try fixture.write("module/udmabuf/parameters/list_limit", "1024\n")
        try fixture.write("module/udmabuf/parameters/size_limit_mb", "64\n")
        let limits = UDMABufLimits.read(sysfsRoot: fixture.root)
        #expect(limits == UDMABufLimits(listLimit: 1024, sizeLimitMB: 64))
        #expect(limits.sizeLimitBytes == 64 << 20)
        #expect(UDMABufLimits.read(sysfsRoot: "\(fixture.root)/none") == UDMABufLimits(listLimit: nil, sizeLimitMB: nil))
    }

    @Test func pageRounding() {
        #expect(PageSize.roundUp(1) == page && PageSize.roundUp(page) == page && PageSize.roundUp(page + 1) == 2 * page)
        #expect(PageSize.roundUp(UInt64.max) == nil)
        #expect(PageSize.isAligned(3 * page) && !PageSize.isAligned(page / 2))
    }
}
