import CDMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open dma-buf this process owns: its fd, its size and its exporter.
public final class DMABufFile: Sendable, CustomStringConvertible {
    /// The owned dma-buf fd.
    public let descriptor: OwnedFileDescriptor
    /// Size of the dma-buf in bytes (`lseek(fd, 0, SEEK_END)`).
    public let size: UInt64
    /// The exporter's name from fdinfo (`udmabuf`, `system`, `vgem`...), when procfs tells.
    public let exporter: String?

    /// The fd number (owned by this object).
    public var fd: Int32 { descriptor.rawValue }

    /// Adopts a dma-buf fd an exporter just returned (UDMABUF_CREATE, DMA_HEAP_IOCTL_ALLOC,
    /// drmPrimeHandleToFD) and reads its size.
    public init(adopting descriptor: OwnedFileDescriptor) throws(DMAError) {
        self.descriptor = descriptor
        self.size = try Self.sizeOf(descriptor.rawValue)
        self.exporter = FDInfo.read(fd: descriptor.rawValue)?.exporter
    }

    /// Checks that a caller-given `fd` is an open dma-buf and takes a duplicate of it (the caller
    /// keeps and closes its own fd).
    /// - Throws: EBADF (``DMAError/system(errno:_:)``) for a closed fd; ``DMAError/invalidArgument(_:)``
    ///   for an fd that is not a dma-buf (a pipe, a regular file...), naming what it is.
    public static func importing(fd: Int32, procRoot: String = "/proc") throws(DMAError) -> DMABufFile {
        try requireOpen(fd, role: "dma-buf")
        try requireDMABuf(fd: fd, procRoot: procRoot)
        return try DMABufFile(adopting: OwnedFileDescriptor.duplicating(fd))
    }

    /// Throws unless `fd` (open) refers to a dma-buf. Uses fdinfo's `exp_name`; without procfs,
    /// probes with a `DMA_BUF_IOCTL_SYNC` start/end pair (ENOTTY for other files).
    public static func requireDMABuf(fd: Int32, procRoot: String = "/proc") throws(DMAError) {
        let remedy = "pass a dma-buf fd (from /dev/udmabuf, a dma-heap, or drmPrimeHandleToFD)"
        if let info = FDInfo.read(fd: fd, procRoot: procRoot) {
            guard info.isDMABuf else {
                let what = info.target.map { "it refers to \($0)" } ?? "its fdinfo names no exporter"
                throw .invalidArgument("fd \(fd) is not a dma-buf (\(what)); \(remedy)")
            }
            return
        }
        do throws(DMAError) {
            try SystemCall.check("probe fd \(fd) with DMA_BUF_IOCTL_SYNC") {
                dmahost_dma_buf_sync(fd, CPUAccess.read.startFlags)
            }
            try SystemCall.check("probe fd \(fd) with DMA_BUF_IOCTL_SYNC") {
                dmahost_dma_buf_sync(fd, CPUAccess.read.endFlags)
            }
        } catch {
            if error.errno == ENOTTY || error.errno == EINVAL {
                throw .invalidArgument("fd \(fd) is not a dma-buf (DMA_BUF_IOCTL_SYNC: \(error.message)); \(remedy)")
            }
            throw error
        }
    }

    /// Begins CPU access (`DMA_BUF_IOCTL_SYNC` with `SYNC_START` and the direction bits).
    public func beginAccess(_ access: CPUAccess) throws(DMAError) {
        try SystemCall.check("DMA_BUF_IOCTL_SYNC(START|\(access)) on \(self)") { dmahost_dma_buf_sync(fd, access.startFlags) }
    }

    /// Ends CPU access (`DMA_BUF_IOCTL_SYNC` with `SYNC_END` and the same direction bits).
    public func endAccess(_ access: CPUAccess) throws(DMAError) {
        try SystemCall.check("DMA_BUF_IOCTL_SYNC(END|\(access)) on \(self)") { dmahost_dma_buf_sync(fd, access.endFlags) }
    }

    public var description: String { "dma-buf fd \(fd) (\(exporter ?? "unknown exporter"), \(size) bytes)" }

    private static func sizeOf(_ fd: Int32) throws(DMAError) -> UInt64 {
        let end = try SystemCall.check("lseek(SEEK_END) on dma-buf fd \(fd)", hint: { code in
            code == ESPIPE ? "fd \(fd) is not a dma-buf (not seekable)" : nil
        }) { lseek(fd, 0, SEEK_END) }
        return UInt64(end)
    }
}
