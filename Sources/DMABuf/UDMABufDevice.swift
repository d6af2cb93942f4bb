import CDMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `/dev/udmabuf`: turns memfd pages into dma-bufs (`UDMABUF_CREATE`, `UDMABUF_CREATE_LIST`).
public final class UDMABufDevice: Sendable {
    /// Where the device node usually is.
    public static let defaultPath = "/dev/udmabuf"
    /// The device node.
    public let path: String
    /// The module's limits, read when the device was opened.
    public let limits: UDMABufLimits
    private let device: OwnedFileDescriptor

    /// Opens the device node and reads the module's limits.
    /// - Throws: ``DMAError`` with "CONFIG_UDMABUF not enabled" when the node is missing.
    public init(path: String = UDMABufDevice.defaultPath, sysfsRoot: String = "/sys") throws(DMAError) {
        self.path = path
        self.device = try OwnedFileDescriptor(opening: path, flags: O_RDWR, hint: { code in
            switch code {
            case ENOENT, ENODEV, ENXIO: "CONFIG_UDMABUF not enabled (\(path) missing); on a modular kernel: modprobe udmabuf"
            case EACCES, EPERM: "no permission on \(path): run as root or grant the user access to the node"
            default: nil
            }
        })
        self.limits = UDMABufLimits.read(sysfsRoot: sysfsRoot)
    }

    /// Turns one memfd range into a dma-buf (`UDMABUF_CREATE`), after ``UDMABufLimits/validate(_:)``.
    public func create(memfd: Int32, offset: UInt64, size: UInt64) throws(DMAError) -> DMABufFile {
        let segment = UDMABufSegment(memfd: memfd, offset: offset, size: size)
        try limits.validate([segment])
        let fd = try SystemCall.check("ioctl(UDMABUF_CREATE) on \(path)", hint: kernelHint) {
            dmahost_udmabuf_create(device.rawValue, memfd, offset, size, DMAHOST_UDMABUF_FLAGS_CLOEXEC)
        }
        return try DMABufFile(adopting: OwnedFileDescriptor(adopting: fd))
    }

    /// Turns several memfd ranges, in order, into one dma-buf (`UDMABUF_CREATE_LIST`),
    /// after ``UDMABufLimits/validate(_:)``.
    public func create(segments: [UDMABufSegment]) throws(DMAError) -> DMABufFile {
        try limits.validate(segments)
        return try createUnchecked(segments: segments).get()
    }

    /// `UDMABUF_CREATE_LIST` without the checks of ``UDMABufLimits/validate(_:)``: what the
    /// kernel itself says about a request (used by tests to confirm the checks match the kernel).
    public func createUnchecked(segments: [UDMABufSegment]) -> Result<DMABufFile, DMAError> {
        let items = segments.map { dmahost_udmabuf_segment(memfd: $0.memfd, offset: $0.offset, size: $0.size) }
        do throws(DMAError) {
            let fd = try items.withUnsafeBufferPointer { (list) throws(DMAError) -> Int32 in
                try SystemCall.check("ioctl(UDMABUF_CREATE_LIST, \(items.count) ranges) on \(path)", hint: kernelHint) {
                    dmahost_udmabuf_create_list(device.rawValue, list.baseAddress, UInt32(items.count), DMAHOST_UDMABUF_FLAGS_CLOEXEC)
                }
            }
            return .success(try DMABufFile(adopting: OwnedFileDescriptor(adopting: fd)))
        } catch {
            return .failure(error)
        }
    }

    /// Allocates a new memfd of `length` bytes rounded up to whole pages, seals it with
    /// F_SEAL_SHRINK and turns it into a dma-buf.
    /// - Returns: The memfd (whose pages are the dma-buf's) and the dma-buf.
    public func allocate(length: UInt64, name: String = "dmahost-udmabuf") throws(DMAError) -> (memfd: OwnedFileDescriptor, dmabuf: DMABufFile) {
        guard length > 0 else { throw .invalidArgument("cannot allocate a 0-byte udmabuf") }
        guard let size = PageSize.roundUp(length) else { throw .invalidArgument("udmabuf length \(length) is too large") }
        if let limit = limits.sizeLimitBytes, size > limit {
            throw .invalidArgument("\(size) bytes exceed udmabuf's size_limit_mb of \(limits.sizeLimitMB ?? 0) MiB per dma-buf (module parameter /sys/module/udmabuf/parameters/size_limit_mb); allocate several buffers, or raise it (udmabuf.size_limit_mb=N on the kernel command line)")
        }
        let memfd = try Memfd.create(name: name, size: size, seals: .shrink)
        let dmabuf = try create(memfd: memfd.rawValue, offset: 0, size: size)
        return (memfd, dmabuf)
    }

    private func kernelHint(_ code: Int32) -> String? {
        switch code {
        case EINVAL: "udmabuf refused the request: ranges must be page-aligned, memfds sealed with F_SEAL_SHRINK and not F_SEAL_WRITE, the total within size_limit_mb (\(limits.sizeLimitMB.map(String.init) ?? "?") MiB) and the count within list_limit (\(limits.listLimit.map(String.init) ?? "?"))"
        case EBADF: "a memfd in the request is not open"
        default: nil
        }
    }
}
