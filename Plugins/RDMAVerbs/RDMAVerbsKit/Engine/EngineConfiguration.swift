import DMADriverKit
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
    /// Bytes the registration cache keeps registered (pinned) at most; `DMAHOST_RDMA_MR_CACHE_BYTES`,
    /// default ``PinnedMemoryLimit/defaultBytes()`` (half of `RLIMIT_MEMLOCK` for a process the
    /// limit applies to, else 1 GiB).
    public var registrationLimit: UInt = PinnedMemoryLimit.defaultBytes()
    /// Regions the registration cache keeps registered at most; `DMAHOST_RDMA_MR_CACHE_REGIONS`,
    /// default 16384.
    public var registrationRegionLimit = 16384
    /// What tells the cache that registered memory went away; `DMAHOST_RDMA_MR_CACHE_MONITOR`:
    /// `userfaultfd` (the default) or `disabled` (register per operation, no cache).
    public var monitor: MonitorChoice = .userfaultfd
    /// GID index of the loopback connection; `DMAHOST_RDMA_GID_INDEX`, default: the first
    /// IPv4-mapped GID of the port.
    public var gidIndex: Int32?
    /// Seconds close waits for in-flight requests before flushing them; default 2.
    public var closeGraceSeconds = 2
    /// Most consecutive unsignaled work requests (capped at a quarter of the queue depth);
    /// `DMAHOST_RDMA_SIGNAL_INTERVAL`, default 16.
    public var signalInterval = 16
    /// Fraction (in quarters) of the queue depth below which a submission posts at once instead
    /// of leaving it to the completion thread; `DMAHOST_RDMA_DIRECT_POST_QUARTERS`, default 1.
    public var directPostQuarters = 1
    /// Microseconds the completion thread keeps polling after a completion before it sleeps
    /// until the next completion event; `DMAHOST_RDMA_SPIN_US`, default 0 (always sleep).
    public var spinMicroseconds = 0

    /// The defaults.
    public init() {}

    /// The variables ``fromEnvironment()`` reads, as `dmactl env` lists them
    /// (`dmahost_driver_ops.config_variables`). Values out of range are ignored.
    public static let variables: [DMAConfigVariable] = [
        DMAConfigVariable(name: "DMAHOST_RDMA_QUEUE_DEPTH", defaultValue: "128",
                          doc: "Work requests in flight on a device's loopback queue pair at most (1...65536)."),
        DMAConfigVariable(name: "DMAHOST_RDMA_MAX_QUEUED", defaultValue: "4096",
                          doc: "Operations waiting for a free work-request slot at most; beyond that, submissions get -EAGAIN."),
        DMAConfigVariable(name: "DMAHOST_RDMA_MR_CACHE_BYTES", defaultValue: nil,
                          doc: "Bytes the registration cache keeps pinned at most (4096 or more); default: half of RLIMIT_MEMLOCK where it applies, else 1 GiB."),
        DMAConfigVariable(name: "DMAHOST_RDMA_MR_CACHE_REGIONS", defaultValue: "16384",
                          doc: "Regions the registration cache keeps registered at most (1...1048576)."),
        DMAConfigVariable(name: "DMAHOST_RDMA_MR_CACHE_MONITOR", defaultValue: "userfaultfd",
                          doc: "What tells the registration cache that memory went away: userfaultfd, or disabled (every operation registers its own buffers)."),
        DMAConfigVariable(name: "DMAHOST_RDMA_GID_INDEX", defaultValue: nil,
                          doc: "GID index of the loopback connection (0...255); default: the port's first IPv4-mapped GID."),
        DMAConfigVariable(name: "DMAHOST_RDMA_SIGNAL_INTERVAL", defaultValue: "16",
                          doc: "Most consecutive unsignaled work requests (1...65536, capped at a quarter of the queue depth)."),
        DMAConfigVariable(name: "DMAHOST_RDMA_DIRECT_POST_QUARTERS", defaultValue: "1",
                          doc: "Quarters of the queue depth (0...4) below which a submission posts at once instead of leaving it to the completion thread."),
        DMAConfigVariable(name: "DMAHOST_RDMA_SPIN_US", defaultValue: "0",
                          doc: "Microseconds the completion thread polls after a completion before it sleeps (0...1000000)."),
    ]

    /// The defaults with the environment overrides applied (invalid values are ignored).
    public static func fromEnvironment() -> EngineConfiguration {
        var configuration = EngineConfiguration()
        if let value = integer("DMAHOST_RDMA_QUEUE_DEPTH"), (1...65536).contains(value) { configuration.queueDepth = value }
        if let value = integer("DMAHOST_RDMA_MAX_QUEUED"), value >= 1 { configuration.maxQueuedOperations = value }
        if let value = integer("DMAHOST_RDMA_MR_CACHE_BYTES"), value >= 4096 { configuration.registrationLimit = UInt(value) }
        if let value = integer("DMAHOST_RDMA_MR_CACHE_REGIONS"), (1...1 << 20).contains(value) { configuration.registrationRegionLimit = value }
        configuration.monitor = MonitorChoice.parse(getenv("DMAHOST_RDMA_MR_CACHE_MONITOR").map { String(cString: $0) })
        if let value = integer("DMAHOST_RDMA_GID_INDEX"), (0...255).contains(value) { configuration.gidIndex = Int32(value) }
        if let value = integer("DMAHOST_RDMA_SIGNAL_INTERVAL"), (1...65536).contains(value) { configuration.signalInterval = value }
        if let value = integer("DMAHOST_RDMA_DIRECT_POST_QUARTERS"), (0...4).contains(value) { configuration.directPostQuarters = value }
        if let value = integer("DMAHOST_RDMA_SPIN_US"), (0...1_000_000).contains(value) { configuration.spinMicroseconds = value }
        return configuration
    }

    private static func integer(_ name: String) -> Int? {
        getenv(name).flatMap { Int(String(cString: $0)) }
    }
}
