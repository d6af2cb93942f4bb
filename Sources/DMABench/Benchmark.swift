import DMADriverKit
import DMAHost
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
    /// Measured seconds of the device run (the baseline gets the same, in two halves).
    public var seconds: Double
    /// Reuse one buffer per in-flight operation instead of a cold working set.
    public var hot: Bool
    /// Who resubmits after a completion.
    public var resubmit: ResubmitMode
    /// Seconds an operation may stay outstanding (no completion) before the run is abandoned
    /// with `ETIMEDOUT`.
    public var timeout: Double

    /// The default ``timeout``: 30 s.
    public static let defaultTimeout: Double = 30

    /// Creates parameters.
    public init(operation: BenchOperation, size: Int, queueDepth: Int, seconds: Double, hot: Bool,
                resubmit: ResubmitMode = .callback, timeout: Double = BenchParameters.defaultTimeout) {
        self.operation = operation
        self.size = size
        self.queueDepth = queueDepth
        self.seconds = seconds
        self.hot = hot
        self.resubmit = resubmit
        self.timeout = timeout
    }

    /// Unmeasured warm-up before the device run: 20% of the measured time, 0.2...1 s.
    public var warmupSeconds: Double { min(1, max(0.2, seconds * 0.2)) }

    /// The shortest measured run: many clock readings (about one every 200 µs) and baseline batches.
    public static let minimumSeconds = 0.01

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
    }
}

/// The benchmark behind `dmactl bench`: a device run through the memory-domain API, framed by
/// a raw baseline on the same buffers (half before, half after), plus a multi-thread ceiling
/// when the device runs several workers.
public enum Benchmark {
    /// Runs the benchmark on an opened device's domain.
    /// - Parameters:
    ///   - domain: The device's memory domain (copies are pushed into it; fills are memzero).
    ///   - backend: The name of the driver that serves it.
    ///   - device: The device id.
    ///   - parameters: What to measure.
    ///   - progress: Called about every 0.5 s during the device run.
    /// - Throws: ``DMAError`` for bad parameters, a working set that cannot be allocated, or an
    ///   operation that failed.
    public static func run(domain: MemoryDomain, backend: String, device: String, parameters: BenchParameters,
                           progress: ((BenchProgress) -> Void)? = nil) throws(DMAError) -> BenchReport {
        try parameters.validate()
        let cpu = CPUDomainContext(domain: domain)
        let set = try WorkingSet(operation: parameters.operation, size: parameters.size,
                                 queueDepth: parameters.queueDepth, hot: parameters.hot)
        let timerCost = BenchTimer.readCost()
        let half = parameters.seconds / 2
        _ = RawBaseline.run(parameters.operation, on: set, seconds: min(0.2, half))  // warm the pages and caches
        let before = RawBaseline.run(parameters.operation, on: set, seconds: half)
        let measurement: DomainMeasurement
        let target = RunTarget(domain: domain.handle, operation: parameters.operation, set: set,
                               queueDepth: parameters.queueDepth, cpu: cpu, timerCost: timerCost,
                               timeoutNanoseconds: UInt64(parameters.timeout * 1e9))
        measurement = try measure(target, parameters: parameters, progress: progress)
        let after = RawBaseline.run(parameters.operation, on: set, seconds: half)
        let baseline = Throughput(operations: before.operations + after.operations, size: parameters.size,
                                  seconds: before.seconds + after.seconds)
        let ceilingThreads = cpu?.workers ?? 1
        let ceiling = ceilingThreads > 1
            ? RawBaseline.runParallel(parameters.operation, on: set, seconds: half, threads: ceilingThreads) : nil
        return BenchReport(
            backend: backend, device: device, parameters: parameters, workers: cpu?.workers,
            completionMode: cpu.map { $0.pollMode ? "poll" : "worker" }, measurement: measurement,
            baseline: baseline, ceiling: ceiling, ceilingThreads: ceilingThreads, workingSetBytes: set.bytes,
            cacheBytes: set.cacheBytes, cacheFromSysfs: set.cacheSizeFromSysfs, timerCostNanoseconds: timerCost)
    }

    /// The device run, with the runner the parameters choose. After a timeout the working set
    /// is never freed: the device may still write the buffers of the abandoned operations.
    private static func measure(_ target: RunTarget, parameters: BenchParameters,
                                progress: ((BenchProgress) -> Void)?) throws(DMAError) -> DomainMeasurement {
        do throws(DMAError) {
            switch parameters.resubmit {
            case .callback:
                return try ChainRunner(target: target).run(warmup: parameters.warmupSeconds, seconds: parameters.seconds, progress: progress)
            case .thread:
                return try DomainRunner(target: target).run(warmup: parameters.warmupSeconds, seconds: parameters.seconds, progress: progress)
            }
        } catch {
            if error.errno == ETIMEDOUT { AbandonedMemory.keep(target.set) }
            throw error
        }
    }
}
