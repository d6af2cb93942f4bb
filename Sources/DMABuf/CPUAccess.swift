import CDMABuf

/// Which way the CPU accesses a dma-buf between `DMA_BUF_IOCTL_SYNC` start and end.
public struct CPUAccess: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// `DMA_BUF_SYNC_READ` / `DMA_BUF_SYNC_WRITE` bits.
    public let rawValue: UInt64
    /// Wraps `DMA_BUF_SYNC_*` direction bits.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The CPU reads (`DMA_BUF_SYNC_READ`).
    public static let read = CPUAccess(rawValue: UInt64(DMAHOST_DMA_BUF_SYNC_READ.rawValue))
    /// The CPU writes (`DMA_BUF_SYNC_WRITE`).
    public static let write = CPUAccess(rawValue: UInt64(DMAHOST_DMA_BUF_SYNC_WRITE.rawValue))
    /// Both.
    public static let readWrite: CPUAccess = [.read, .write]

    /// The `DMA_BUF_IOCTL_SYNC` flags that begin this access.
    public var startFlags: UInt64 { rawValue | UInt64(DMAHOST_DMA_BUF_SYNC_START.rawValue) }
    /// The `DMA_BUF_IOCTL_SYNC` flags that end this access.
    public var endFlags: UInt64 { rawValue | UInt64(DMAHOST_DMA_BUF_SYNC_END.rawValue) }

    public var description: String {
        switch self {
        case .read: "READ"
        case .write: "WRITE"
        case .readWrite: "RW"
        default: "none"
        }
    }
}
