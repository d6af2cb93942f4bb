import DMABuf
import DMADriverKit

/// A dma-buf heap (`/dev/dma_heap/<name>`).
public struct DMAHeapInfo: Sendable, Hashable {
    /// Heap name ("system", "linux,cma"...).
    public var name: String
    /// Device node.
    public var path: String
}

/// Lists `<dev>/dma_heap`.
public enum DMAHeapScanner {
    /// The heaps; nil when `<dev>/dma_heap` does not exist (CONFIG_DMABUF_HEAPS off).
    public static func scan(dev: String) -> [DMAHeapInfo]? {
        let directory = "\(dev)/dma_heap"
        return SystemFiles.entries(directory).map { names in
            names.map { DMAHeapInfo(name: $0, path: "\(directory)/\($0)") }
        }
    }
}

/// `/dev/udmabuf` and the udmabuf module's limits.
public struct UDMABufInfo: Sendable, Hashable {
    /// Device node.
    public var path: String
    /// Whether the node exists.
    public var present: Bool
    /// The module's limits (from `<sysfs>/module/udmabuf/parameters`).
    public var limits: UDMABufLimits

    /// Checks `<dev>/udmabuf` and reads the limits.
    public static func probe(_ paths: SystemPaths) -> UDMABufInfo {
        let path = "\(paths.dev)/udmabuf"
        return UDMABufInfo(path: path, present: SystemFiles.exists(path), limits: UDMABufLimits.read(sysfsRoot: paths.sysfs))
    }
}
