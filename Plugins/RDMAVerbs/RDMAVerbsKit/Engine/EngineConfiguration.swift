#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tunables of an ``RDMAEngine``. ``fromEnvironment()`` reads overrides from the environment.
public struct EngineConfiguration: Sendable, Equatable {
    /// Work requests in flight on the loopback queue pair at most (the send-queue depth);
    /// `DMAHOST_RDMA_QUEUE_DEPTH`, default 128.
    public var queueDepth = 128
    /// Operations waiting for a free work-request slot at most; beyond that, submissions are
    /// refused with -EAGAIN. `DMAHOST_RDMA_MAX_QUEUED`, default 4096.
    public var maxQueuedOperations = 4096
    /// Bytes the registration cache keeps registered at most; `DMAHOST_RDMA_MR_CACHE_BYTES`,
    /// default 1 GiB.
    public var registrationLimit: UInt = 1 << 30
    /// GID index of the loopback connection; `DMAHOST_RDMA_GID_INDEX`, default: the first
    /// IPv4-mapped GID of the port.
    public var gidIndex: Int32?
    /// Seconds close waits for in-flight requests before flushing them; default 2.
    public var closeGraceSeconds = 2

    /// The defaults.
    public init() {}

    /// The defaults with the environment overrides applied (invalid values are ignored).
    public static func fromEnvironment() -> EngineConfiguration {
        var configuration = EngineConfiguration()
        if let value = integer("DMAHOST_RDMA_QUEUE_DEPTH"), (1...65536).contains(value) { configuration.queueDepth = value }
        if let value = integer("DMAHOST_RDMA_MAX_QUEUED"), value >= 1 { configuration.maxQueuedOperations = value }
        if let value = integer("DMAHOST_RDMA_MR_CACHE_BYTES"), value >= 4096 { configuration.registrationLimit = UInt(value) }
        if let value = integer("DMAHOST_RDMA_GID_INDEX"), (0...255).contains(value) { configuration.gidIndex = Int32(value) }
        return configuration
    }

    private static func integer(_ name: String) -> Int? {
        getenv(name).flatMap { Int(String(cString: $0)) }
    }
}
