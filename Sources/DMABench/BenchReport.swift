/// The result of ``Benchmark/run(domain:backend:device:parameters:progress:)``.
public struct BenchReport: Sendable {
    /// A value of a report field (rendered as JSON by the caller).
    public enum Value: Sendable, Equatable {
        /// Text.
        case string(String)
        /// A whole number.
        case integer(Int)
        /// A real number.
        case number(Double)
        /// True or false.
        case bool(Bool)
        /// No value (e.g. no ceiling for a single worker).
        case null
    }

    /// Driver that served the device (e.g. "cpu").
    public var backend: String
    /// Device id (e.g. "cpu:0").
    public var device: String
    /// What was measured.
    public var parameters: BenchParameters
    /// Worker threads of a CPU device; nil for other backends.
    public var workers: Int?
    /// Completion mode of a CPU device ("worker" or "poll"); nil for other backends.
    public var completionMode: String?
    /// The device through the memory-domain API.
    public var measurement: DomainMeasurement
    /// Raw memcpy/memset on one thread, same buffers and sizes (half before, half after the device run).
    public var baseline: Throughput
    /// Raw memcpy/memset on ``ceilingThreads`` threads at once (when the device has several workers).
    public var ceiling: Throughput?
    /// Threads of the ceiling run.
    public var ceilingThreads: Int
    /// Bytes of the working set (source and destination).
    public var workingSetBytes: Int
    /// Last-level cache size the working set was planned with.
    public var cacheBytes: Int
    /// True when sysfs gave that size (else ``WorkingSet/defaultCacheBytes`` was assumed).
    public var cacheFromSysfs: Bool
    /// Cost of one clock read, subtracted from the latencies.
    public var timerCostNanoseconds: UInt64

    /// Device GB/s over baseline GB/s (the same as the ratio of operation rates).
    public var ratio: Double {
        baseline.gigabytesPerSecond > 0 ? measurement.throughput.gigabytesPerSecond / baseline.gigabytesPerSecond : 0
    }
    /// Device GB/s over the ceiling's GB/s.
    public var ceilingRatio: Double? {
        ceiling.flatMap { $0.gigabytesPerSecond > 0 ? measurement.throughput.gigabytesPerSecond / $0.gigabytesPerSecond : nil }
    }
    /// What one operation costs on top of the raw loop, per operation (ns); negative when the
    /// device is faster than the one-thread loop (e.g. a CPU device with several workers).
    public var overheadNanosecondsPerOperation: Double {
        measurement.throughput.nanosecondsPerOperation - baseline.nanosecondsPerOperation
    }
    /// Latency percentile in nanoseconds, timer cost removed; nil without samples.
    public func latency(_ fraction: Double) -> UInt64? {
        Percentiles(measurement.latencies).value(at: fraction).map { $0 > timerCostNanoseconds ? $0 - timerCostNanoseconds : 0 }
    }

    /// The report as ordered key/value pairs (the members of `dmactl bench --format json`; snake_case, units in
    /// the names: gb_per_s is 10^9 bytes per second, million_ops_per_s 10^6 operations per second).
    public var fields: [(String, Value)] {
        let device = measurement.throughput
        let percentiles = Percentiles(measurement.latencies)
        func corrected(_ fraction: Double) -> Value {
            percentiles.value(at: fraction).map { .integer(Int($0 > timerCostNanoseconds ? $0 - timerCostNanoseconds : 0)) } ?? .null
        }
        return [
            ("backend", .string(backend)), ("device", .string(self.device)), ("operation", .string(parameters.workloadName)),
            ("size_bytes", .integer(parameters.size)), ("queue_depth", .integer(parameters.queueDepth)),
            ("workers", workers.map(Value.integer) ?? .null), ("completion", completionMode.map(Value.string) ?? .null),
            ("resubmit", .string(parameters.resubmit.rawValue)),
            ("seconds", .number(device.seconds)), ("operations", .integer(device.operations)),
            ("gb_per_s", .number(device.gigabytesPerSecond)), ("million_ops_per_s", .number(device.megaOperationsPerSecond)),
            ("ns_per_op", .number(device.nanosecondsPerOperation)),
            ("p50_ns", corrected(0.50)), ("p99_ns", corrected(0.99)),
            ("latency_samples", .integer(measurement.latencies.count)), ("latency_sample_interval", .integer(measurement.sampleInterval)),
            ("timer_overhead_ns", .integer(Int(timerCostNanoseconds))),
            ("baseline", .string(parameters.operation.copiesData ? "memcpy" : "memset")),
            ("baseline_gb_per_s", .number(baseline.gigabytesPerSecond)), ("baseline_million_ops_per_s", .number(baseline.megaOperationsPerSecond)),
            ("baseline_ns_per_op", .number(baseline.nanosecondsPerOperation)),
            ("ratio", .number(ratio)), ("overhead_ns_per_op", .number(overheadNanosecondsPerOperation)),
            ("ceiling_threads", ceiling == nil ? .null : .integer(ceilingThreads)),
            ("ceiling_gb_per_s", ceiling.map { .number($0.gigabytesPerSecond) } ?? .null),
            ("ceiling_ratio", ceilingRatio.map(Value.number) ?? .null),
            ("working_set_bytes", .integer(workingSetBytes)), ("hot", .bool(parameters.hot)),
            ("llc_bytes", .integer(cacheBytes)), ("llc_from_sysfs", .bool(cacheFromSysfs)),
            ("eagain_retries", .integer(measurement.retries)), ("verified", .bool(measurement.verified)),
            ("slot_balance", .number(measurement.slotBalance)),
        ]
    }

    /// The human-readable report.
    public var text: String {
        let device = measurement.throughput
        let baselineName = parameters.operation.copiesData ? "memcpy" : "memset"
        var lines: [String] = []
        var backendLine = "backend \(backend), device \(self.device)"
        if let workers { backendLine += ", \(workers) worker\(workers == 1 ? "" : "s")" }
        if let completionMode { backendLine += ", \(completionMode) completions" }
        backendLine += parameters.resubmit == .callback ? ", resubmitted by the completion callback" : ", resubmitted by one submitting thread"
        lines.append(backendLine)
        lines.append("\(parameters.workloadDescription) \(ByteSize(bytes: parameters.size)) x qd \(parameters.queueDepth)"
                     + (parameters.iovecs > 1 ? " in \(parameters.iovecs) iovecs" : "") + ", "
                     + "\(Format.fixed(device.seconds, 2)) s measured, \(device.operations) operations"
                     + (measurement.verified ? ", data verified" : ", DATA NOT VERIFIED"))
        lines.append("  device:    \(Format.fixed(device.gigabytesPerSecond, 2)) GB/s  \(Format.fixed(device.megaOperationsPerSecond, 3)) Mops/s  "
                     + "\(Format.duration(nanoseconds: device.nanosecondsPerOperation))/op")
        let p50 = latency(0.5).map { Format.duration(nanoseconds: Double($0)) } ?? "n/a"
        let p99 = latency(0.99).map { Format.duration(nanoseconds: Double($0)) } ?? "n/a"
        lines.append("  latency:   p50 \(p50)  p99 \(p99)  (submit → completion, 1 in \(measurement.sampleInterval) operations timed, "
                     + "\(timerCostNanoseconds) ns clock cost removed)")
        lines.append("  baseline:  \(Format.fixed(baseline.gigabytesPerSecond, 2)) GB/s  \(Format.fixed(baseline.megaOperationsPerSecond, 3)) Mops/s  "
                     + "(\(baselineName), 1 thread, same buffers)")
        let overhead = overheadNanosecondsPerOperation
        let cost = overhead >= 0 ? "overhead \(Format.fixed(overhead, 0)) ns/op" : "\(Format.fixed(-overhead, 0)) ns/op faster than the baseline"
        lines.append("  ratio:     \(Format.fixed(ratio, 3)) x \(baselineName)   \(cost)")
        if let ceiling, let ceilingRatio {
            lines.append("  ceiling:   \(Format.fixed(ceiling.gigabytesPerSecond, 2)) GB/s (\(baselineName) on \(ceilingThreads) threads); "
                         + "device = \(Format.fixed(ceilingRatio, 3)) x ceiling, \(Format.fixed(ratio, 3)) x 1 thread")
        }
        lines.append("  working set \(Format.bytes(workingSetBytes)) (\(parameters.hot ? "hot: reused every round" : "cold: ≥ 4x LLC")), "
                     + "LLC \(Format.bytes(cacheBytes))\(cacheFromSysfs ? "" : " (assumed, sysfs has none)")"
                     + (measurement.retries > 0 ? ", \(measurement.retries) -EAGAIN retries" : ""))
        if measurement.slotBalance < 0.5 {
            lines.append("  WARNING: the device served some in-flight slots \(Format.fixed(1 / max(measurement.slotBalance, 1e-9), 1))x as often as others; "
                         + "their buffers may have stayed in the caches")
        }
        return lines.joined(separator: "\n")
    }
}
