import CDMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A dma-buf heap, `/dev/dma_heap/<name>` (`DMA_HEAP_IOCTL_ALLOC`).
public final class DMAHeap: Sendable {
    /// The heap's name ("system", "reserved", "linux,cma"...).
    public let name: String
    /// The device node.
    public let path: String
    private let device: OwnedFileDescriptor

    /// Opens the heap `name` under `devRoot`/dma_heap.
    public init(name: String, devRoot: String = "/dev") throws(DMAError) {
        self.name = name
        self.path = "\(devRoot)/dma_heap/\(name)"
        let path = self.path
        self.device = try OwnedFileDescriptor(opening: path, flags: O_RDONLY, hint: { code in
            switch code {
            case ENOENT, ENODEV, ENXIO: "no heap \(name): CONFIG_DMABUF_HEAPS with CONFIG_DMABUF_HEAPS_SYSTEM (or _CMA) not enabled (\(path) missing)"
            case EACCES, EPERM: "no permission on \(path): run as root or grant the user access to the node"
            default: nil
            }
        })
    }

    /// Allocates a dma-buf of `length` bytes rounded up to whole pages (`DMA_HEAP_IOCTL_ALLOC`, fd O_RDWR|O_CLOEXEC).
    public func allocate(length: UInt64) throws(DMAError) -> DMABufFile {
        guard length > 0 else { throw .invalidArgument("cannot allocate 0 bytes from dma-heap \(name)") }
        guard let size = PageSize.roundUp(length) else { throw .invalidArgument("dma-heap length \(length) is too large") }
        let fd = try SystemCall.check("ioctl(DMA_HEAP_IOCTL_ALLOC, \(size) bytes) on \(path)", hint: { code in
            code == ENOMEM ? "heap \(name) has no \(size) bytes free" : nil
        }) {
            dmahost_dma_heap_alloc(device.rawValue, size, dmahost_dma_heap_fd_flags_rdwr(), 0)
        }
        return try DMABufFile(adopting: OwnedFileDescriptor(adopting: fd))
    }
}
