import DMADriverKit
import DMAHost
import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Who submits the next operation when one completes.
public enum ResubmitMode: String, Sendable, CaseIterable {
    /// The completion callback, on the thread the device completes on (SPDK bdevperf style):
    /// no hand-off between threads, no extra thread competing for CPUs.
    case callback
    /// One submitting thread that waits for completions (in groups) and resubmits them.
    case thread
}

/// What to measure.
public struct BenchParameters: Sendable, Equatable {
    /// Copy (push) or fill (memzero).
    public var operation: BenchOperation
    /// Bytes per operation (64 B ... 64 MiB for `dmactl bench`).
    public var size: Int
    /// Operations in flight.
    public var queueDepth: Int
    /// Wall time of the whole point: baseline, device warm-up and measured window, ceiling
    /// (shared out by ``PointBudget``).
    public var seconds: Double
    /// Reuse one buffer per in-flight operation instead of a cold working set.
    public var hot: Bool
    /// Who resubmits after a completion.
    public var resubmit: ResubmitMode
    /// Seconds an operation may stay outstanding (no completion) before the run is abandoned
    /// with `ETIMEDOUT`.
    public var timeout: Double
    /// A mixed workload: this percentage of the operations pull (read) and the rest push
    /// (write), as SPDK's `test_dma -M`; nil runs ``operation`` alone.
    public var readPercent: Int?
    /// Entries each side of an operation is split into (equal parts of ``size``).
    public var iovecs: Int

    /// The default ``timeout``: 30 s.
    public static let defaultTimeout: Double = 30

    /// Creates parameters.
    public init(operation: BenchOperation, size: Int, queueDepth: Int, seconds: Double, hot: Bool,
                resubmit: ResubmitMode = .callback, timeout: Double = BenchParameters.defaultTimeout,
                readPercent: Int? = nil, iovecs: Int = 1) {
        self.readPercent = readPercent
        self.iovecs = iovecs
        self.operation = operation
        self.size = size
        self.queueDepth = queueDepth
        self.seconds = seconds
        self.hot = hot
        self.resubmit = resubmit
        self.timeout = timeout
    }

    /// The shortest point: many clock readings (about one every 200 µs) and baseline batches.
    public static let minimumSeconds = 0.01
    /// Most entries per side of an operation.
    public static let maximumIOVecs = 256

    /// The percentage of pulls: 100 for read, the mix's share for a mixed workload, else 0.
    public var effectiveReadPercent: Int { readPercent ?? (operation == .read ? 100 : 0) }

    /// The workload's name: the operation, or `mix` for a mixed one.
    public var workloadName: String { readPercent == nil ? operation.rawValue : "mix" }

    /// The workload for people: `copy`, or `mix 70% read / 30% write`.
    public var workloadDescription: String {
        readPercent.map { "mix \($0)% read / \(100 - $0)% write" } ?? operation.rawValue
    }

    /// Checks the ranges.
    /// - Throws: ``DMAError/invalidArgument(_:)`` naming the bad value.
    public func validate() throws(DMAError) {
        guard (ByteSize.benchMinimum.bytes...ByteSize.benchMaximum.bytes).contains(size) else {
            throw .invalidArgument("--size must be \(ByteSize.benchMinimum)...\(ByteSize.benchMaximum), got \(ByteSize(bytes: size))")
        }
        guard (1...4096).contains(queueDepth) else { throw .invalidArgument("--qd must be 1...4096, got \(queueDepth)") }
        guard seconds >= Self.minimumSeconds, seconds <= 3600 else {
            throw .invalidArgument("--seconds must be \(Self.minimumSeconds)...3600, got \(seconds): the device run and the baseline "
                                   + "read the clock only every few hundred microseconds, so a shorter run measures nothing")
        }
        guard timeout > 0, timeout <= 86_400 else { throw .invalidArgument("--timeout must be in (0, 86400] seconds, got \(timeout)") }
        if let readPercent {
            guard (0...100).contains(readPercent) else { throw .invalidArgument("--mix must be 0...100 (percent reads), got \(readPercent)") }
            guard operation.copiesData else {
                throw .invalidArgument("--mix mixes reads (pull) and writes (push); it cannot be combined with --op fill")
            }
        }
        guard (1...Self.maximumIOVecs).contains(iovecs) else {
            throw .invalidArgument("--iovecs must be 1...\(Self.maximumIOVecs), got \(iovecs)")
        }
        guard iovecs <= size else {
            throw .invalidArgument("--iovecs \(iovecs) splits \(ByteSize(bytes: size)) into entries of less than a byte; use at most \(size)")
        }
    }
}

/// The benchmark behind `dmactl bench`: a device run through the memory-domain API, framed by
/// a raw baseline on the same buffers (half before, half after), plus a multi-thread ceiling
/// when the device runs several workers.
public enum Benchmark {
    /// Runs the benchmark on an opened device's domain, in the wall time
    /// `parameters.seconds` (shared out by ``PointBudget``).
    /// - Parameters:
    ///   - domain: The device's memory domain (copies are pushed into it, reads pulled from it,
    ///     fills are memzero).
    ///   - backend: The name of the driver that serves it.
    ///   - device: The device id.
    ///   - parameters: What to measure.
    ///   - progress: Called at each phase and about every 0.5 s within one.
    /// - Throws: ``DMAError`` for bad parameters, a working set that cannot be allocated, or an
    ///   operation that failed.
    public static func run(domain: MemoryDomain, backend: String, device: String, parameters: BenchParameters,
                           progress: ((BenchPointProgress) -> Void)? = nil) throws(DMAError) -> BenchReport {
        try parameters.validate()
        let start = monotonicNanoseconds()
        let cpu = CPUDomainContext(domain: domain)
        let ceilingThreads = cpu?.workers ?? 1
        func report(_ phase: BenchPhase, gigabytesPerSecond: Double? = nil) {
            progress?(BenchPointProgress(phase: phase, elapsed: Double(monotonicNanoseconds() - start) / 1e9, total: parameters.seconds,
                                         gigabytesPerSecond: gigabytesPerSecond))
        }
        let set = try WorkingSet(operation: parameters.operation, size: parameters.size,
                                 queueDepth: parameters.queueDepth, hot: parameters.hot)
        let remote = try RemoteSlots(domain: domain, set: set, operation: parameters.operation, readPercent: parameters.effectiveReadPercent)
        let timerCost = BenchTimer.readCost()
        // Mapping and touching the working set counts against the point's time: the phases
        // share what is left (at least half the point).
        let setup = Double(monotonicNanoseconds() - start) / 1e9
        let budget = PointBudget(seconds: max(parameters.seconds / 2, parameters.seconds - setup), ceiling: ceilingThreads > 1)
        report(.baseline)
        _ = RawBaseline.run(parameters.operation, on: set, seconds: budget.baselineWarmup)  // warm the pages and caches
        let before = RawBaseline.run(parameters.operation, on: set, seconds: budget.baseline / 2, every: 0.5) { report(.baseline) }
        let target = RunTarget(domain: domain.handle, operation: parameters.operation, readPercent: parameters.effectiveReadPercent,
                               iovecs: parameters.iovecs, set: set, remote: remote, queueDepth: parameters.queueDepth, cpu: cpu,
                               timerCost: timerCost, timeoutNanoseconds: UInt64(parameters.timeout * 1e9))
        report(.warmingUp)
        let measurement = try measure(target, parameters: parameters, budget: budget) { device in
            report(device.measuring ? .measuring : .warmingUp, gigabytesPerSecond: device.gigabytesPerSecond)
        }
        report(.baseline)
        let after = RawBaseline.run(parameters.operation, on: set, seconds: budget.baseline / 2, every: 0.5) { report(.baseline) }
        let baseline = Throughput(operations: before.operations + after.operations, size: parameters.size,
                                  seconds: before.seconds + after.seconds)
        report(.ceiling)
        let ceiling = budget.ceiling > 0
            ? RawBaseline.runParallel(parameters.operation, on: set, seconds: budget.ceiling, threads: ceilingThreads) : nil
        return BenchReport(
            backend: backend, device: device, parameters: parameters, workers: cpu?.workers,
            completionMode: cpu.map { $0.pollMode ? "poll" : "worker" }, measurement: measurement,
            baseline: baseline, ceiling: ceiling, ceilingThreads: ceilingThreads, workingSetBytes: set.bytes,
            cacheBytes: set.cacheBytes, cacheFromSysfs: set.cacheSizeFromSysfs, timerCostNanoseconds: timerCost)
    }

    /// How a point of `parameters` on `domain` spends its time (the ceiling runs only for a
    /// CPU device with several workers).
    public static func budget(for parameters: BenchParameters, domain: MemoryDomain) -> PointBudget {
        PointBudget(seconds: parameters.seconds, ceiling: (CPUDomainContext(domain: domain)?.workers ?? 1) > 1)
    }

    /// The device run, with the runner the parameters choose. After a timeout the working set
    /// is never freed: the device may still write the buffers of the abandoned operations.
    private static func measure(_ target: RunTarget, parameters: BenchParameters, budget: PointBudget,
                                progress: ((BenchProgress) -> Void)?) throws(DMAError) -> DomainMeasurement {
        do throws(DMAError) {
            switch parameters.resubmit {
            case .callback:
                return try ChainRunner(target: target).run(warmup: budget.deviceWarmup, seconds: budget.device, progress: progress)
            case .thread:
                return try DomainRunner(target: target).run(warmup: budget.deviceWarmup, seconds: budget.device, progress: progress)
            }
        } catch {
            if error.errno == ETIMEDOUT { AbandonedMemory.keep(target.set) }
            throw error
        }
    }
}
