import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where completion callbacks run.
public enum CompletionMode: String, Sendable, Equatable, CaseIterable {
    /// On the worker thread that finished the operation (the last part of a split one), as
    /// soon as it is done.
    case worker
    /// On whichever thread calls ``CopyEngine/poll(maxCompletions:)`` (SPDK poll-mode style),
    /// in submission order. Nothing completes unless someone polls (or the engine shuts down).
    case poll
}

/// Settings of a ``CopyEngine``. Every value has a default that suits a general-purpose copy
/// engine; ``validated()`` rejects values the engine cannot honour.
public struct CopyEngineConfiguration: Sendable, Equatable {
    /// Worker threads (1...256). Default: the number of online CPUs.
    public var workers: Int
    /// Descriptor ring size (a power of two, 4...1 Mi). Every accepted operation occupies one
    /// descriptor per part until its completion was delivered; when none is free, submission
    /// fails with ``SubmitError/queueFull``. Default 1024.
    public var queueDepth: Int
    /// Where completions are delivered. Default ``CompletionMode/worker``.
    public var completionMode: CompletionMode
    /// Operations of at least this many bytes are split across the workers (when there is
    /// more than one). Default 256 KiB.
    public var splitThreshold: Int
    /// Smallest part a split produces (parts = min(workers, bytes / this)). Default 128 KiB.
    public var minimumPartSize: Int
    /// Most descriptors a worker claims at once. Default 32.
    public var batchLimit: Int
    /// A worker stops adding descriptors to a batch once it holds this many bytes, so that
    /// medium-sized operations spread over the workers (a worker also takes no more than its
    /// share, 1/workers, of the published descriptors it looked at). Fewer, larger claims mean
    /// fewer cache lines passed between workers. Default 256 KiB.
    public var batchBytes: Int
    /// How long an idle worker polls the ring before it sleeps, in nanoseconds. Default 20 µs.
    public var idleSpinNanoseconds: UInt64
    /// The longest an idle worker's poll grows to when work keeps arriving soon after it fell
    /// asleep (the worker doubles its poll after such a wake-up, and returns to
    /// ``idleSpinNanoseconds`` after a longer sleep). Default 200 µs.
    public var maximumIdleSpinNanoseconds: UInt64
    /// Whether destinations are written through the CPU caches or around them (non-temporal
    /// stores). Default ``CacheControl/auto``.
    public var cacheControl: CacheControl
    /// Smallest operation part written with non-temporal stores under ``CacheControl/bypass``.
    /// Default 16 KiB: below it the `sfence` that ends a streaming copy costs more than the
    /// reads for ownership it saves.
    public var bypassMinimumBytes: Int
    /// The reuse distance under which ``CacheControl/auto`` takes a destination for cached:
    /// one written again before the engine wrote this many bytes elsewhere is written through
    /// the caches. Default: the last-level cache (`sysconf(_SC_LEVEL3_CACHE_SIZE)`, else 32 MiB).
    public var reuseWindowBytes: Int

    /// The last-level cache that CPU 0 shares: as sysfs describes it (``CacheInfo``), else
    /// `sysconf(_SC_LEVEL3_CACHE_SIZE)`, else 32 MiB. Sysfs first: in a virtual machine the C
    /// library may report the host's whole L3 (all its dies) rather than the slice a CPU sees.
    public static var lastLevelCacheBytes: Int {
        if let bytes = CacheInfo.read().lastLevelBytes, bytes > 0 { return bytes }
        let level3 = sysconf(Int32(_SC_LEVEL3_CACHE_SIZE))
        return level3 > 0 ? level3 : 32 << 20
    }

    /// The number of CPUs online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
    public static var onlineCPUCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Creates a configuration; omitted values take their defaults.
    public init(workers: Int = CopyEngineConfiguration.onlineCPUCount, queueDepth: Int = 1024,
                completionMode: CompletionMode = .worker, splitThreshold: Int = 256 << 10,
                minimumPartSize: Int = 128 << 10, batchLimit: Int = 32, batchBytes: Int = 256 << 10,
                idleSpinNanoseconds: UInt64 = 20_000, maximumIdleSpinNanoseconds: UInt64 = 200_000, cacheControl: CacheControl = .auto,
                bypassMinimumBytes: Int = 16 << 10, reuseWindowBytes: Int = CopyEngineConfiguration.lastLevelCacheBytes) {
        self.workers = workers
        self.queueDepth = queueDepth
        self.completionMode = completionMode
        self.splitThreshold = splitThreshold
        self.minimumPartSize = minimumPartSize
        self.batchLimit = batchLimit
        self.batchBytes = batchBytes
        self.idleSpinNanoseconds = idleSpinNanoseconds
        self.maximumIdleSpinNanoseconds = maximumIdleSpinNanoseconds
        self.cacheControl = cacheControl
        self.bypassMinimumBytes = bypassMinimumBytes
        self.reuseWindowBytes = reuseWindowBytes
    }

    /// Largest accepted ``workers``.
    public static let maximumWorkers = 256
    /// Largest accepted ``queueDepth``.
    public static let maximumQueueDepth = 1 << 20

    /// Checks every value.
    /// - Throws: ``DMAError/invalidArgument(_:)`` naming the first bad value and its valid range.
    public func validated() throws(DMAError) -> CopyEngineConfiguration {
        guard (1...Self.maximumWorkers).contains(workers) else {
            throw .invalidArgument("copy engine: workers must be 1...\(Self.maximumWorkers), got \(workers)")
        }
        guard (4...Self.maximumQueueDepth).contains(queueDepth), queueDepth & (queueDepth - 1) == 0 else {
            throw .invalidArgument("copy engine: queue depth must be a power of two in 4...\(Self.maximumQueueDepth), got \(queueDepth)")
        }
        guard queueDepth >= 2 * workers else {
            throw .invalidArgument("copy engine: queue depth \(queueDepth) must be at least twice the worker count (\(workers)) so that a split operation fits")
        }
        guard splitThreshold > 0, minimumPartSize > 0 else {
            throw .invalidArgument("copy engine: split threshold and minimum part size must be positive, got \(splitThreshold) and \(minimumPartSize)")
        }
        guard (1...1024).contains(batchLimit), batchBytes > 0 else {
            throw .invalidArgument("copy engine: batch limit must be 1...1024 and batch bytes positive, got \(batchLimit) and \(batchBytes)")
        }
        guard bypassMinimumBytes > 0, reuseWindowBytes > 0 else {
            throw .invalidArgument("copy engine: the non-temporal minimum and the reuse window must be positive, got \(bypassMinimumBytes) and \(reuseWindowBytes)")
        }
        return self
    }
}
