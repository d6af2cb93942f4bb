import CDMAHostABI
import DMAHost

/// What the CPU backend publishes in its domains' user context (`dmahost/cpu_accel.h`): the
/// engine's worker count and completion mode, and, in poll mode, the function that delivers
/// completions on the calling thread.
public struct CPUDomainContext: @unchecked Sendable {
    // @unchecked Sendable: a copy of plugin-owned values; `engine` is an opaque address the
    // plugin keeps valid until the device is closed, and `pollFunction` is thread-safe.

    /// Worker threads of the domain's engine.
    public let workers: Int
    /// Descriptors in the engine's ring.
    public let queueDepth: Int
    /// True when completions are delivered only by ``poll(max:)``.
    public let pollMode: Bool
    private let engine: UnsafeMutableRawPointer
    private let pollFunction: @convention(c) (UnsafeMutableRawPointer?, UInt32) -> UInt32

    /// Reads the context of `domain`; nil when it is not a CPU accel domain.
    public init?(domain: MemoryDomain) {
        guard let bytes = domain.userContext, bytes.count >= MemoryLayout<dmahost_cpu_domain_ctx>.size else { return nil }
        let context = bytes.loadUnaligned(as: dmahost_cpu_domain_ctx.self)
        guard context.magic == DMAHOST_CPU_DOMAIN_MAGIC, context.size >= MemoryLayout<dmahost_cpu_domain_ctx>.size,
              let engine = context.engine, let poll = context.poll else { return nil }
        workers = Int(context.workers)
        queueDepth = Int(context.queue_depth)
        pollMode = context.completion_mode == DMAHOST_CPU_COMPLETION_POLL.rawValue
        self.engine = engine
        pollFunction = poll
    }

    /// Delivers up to `max` finished completions on the calling thread (poll mode).
    @inline(__always)
    @discardableResult
    public func poll(max: UInt32 = 64) -> UInt32 { pollFunction(engine, max) }
}
