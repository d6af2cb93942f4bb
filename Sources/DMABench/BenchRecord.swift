#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One point of a `dmactl bench` run as a record: a line of `--output-format jsonl` or
/// `--jsonl FILE`, a row of the CSV. Keys are snake_case and carry their unit (`gb_per_s`,
/// `million_ops_per_s`, `p50_ns`); GB are 10^9 bytes. Every record has every key (null when a
/// value does not apply), in the order of ``cells``.
public struct BenchRecord: Codable, Sendable, Equatable {
    /// The version of this layout; a reader checks it before reading the rest.
    public static let currentSchemaVersion = 1

    /// ``currentSchemaVersion`` when written.
    public var schemaVersion: Int
    /// The command that wrote it: `bench`.
    public var command: String = "bench"
    /// When the point ended, UTC, ISO 8601 (`2026-12-03T05:40:12Z`).
    public var measuredAt: String
    /// Driver that served the device (`cpu`).
    public var backend: String
    /// Device id (`cpu:0`).
    public var device: String
    /// `copy`, `write`, `read`, `fill`, or `mix`.
    public var operation: String
    /// For `mix`: the percentage of operations that pulled (read); null otherwise.
    public var readPercent: Int?
    /// Bytes per operation.
    public var sizeBytes: Int
    /// Operations in flight.
    public var queueDepth: Int
    /// Entries per side of each operation.
    public var iovecs: Int
    /// Worker threads of a CPU device; null for other backends.
    public var workers: Int?
    /// Completion mode of a CPU device (`worker`, `poll`); null for other backends.
    public var completion: String?
    /// Who resubmitted: `callback` or `thread`.
    public var resubmit: String
    /// True when one buffer per in-flight operation was reused (cache-hot).
    public var hot: Bool
    /// Seconds of the device's measured window.
    public var measuredSeconds: Double
    /// Operations completed in that window.
    public var operations: Int
    /// Device throughput, 10^9 bytes per second.
    public var gbPerS: Double
    /// Device operation rate, millions per second.
    public var millionOpsPerS: Double
    /// Median latency (submit → completion), nanoseconds, clock cost removed; null without samples.
    public var p50Ns: Int?
    /// 99th-percentile latency, nanoseconds; null without samples.
    public var p99Ns: Int?
    /// Operations timed for the percentiles.
    public var latencySamples: Int
    /// The baseline's loop: `memcpy` or `memset`.
    public var baseline: String
    /// Baseline throughput (one thread, same buffers), 10^9 bytes per second.
    public var baselineGbPerS: Double
    /// Baseline operation rate, millions per second.
    public var baselineMillionOpsPerS: Double
    /// Device throughput over baseline throughput.
    public var ratio: Double
    /// Threads of the ceiling run; null when there was none.
    public var ceilingThreads: Int?
    /// The baseline loop on ``ceilingThreads`` threads, 10^9 bytes per second; null when none.
    public var ceilingGbPerS: Double?
    /// Bytes of the working set (sources and destinations).
    public var workingSetBytes: Int
    /// Submissions the device refused with -EAGAIN and that were retried.
    public var eagainRetries: Int
    /// The last operation's data were checked and correct.
    public var verified: Bool

    /// The keys, snake_case with units.
    public enum CodingKeys: String, CodingKey, CaseIterable, Sendable {
        case schemaVersion = "schema_version", command, measuredAt = "measured_at", backend, device, operation
        case readPercent = "read_percent"
        case sizeBytes = "size_bytes", queueDepth = "queue_depth", iovecs, workers, completion, resubmit, hot
        case measuredSeconds = "measured_s", operations, gbPerS = "gb_per_s", millionOpsPerS = "million_ops_per_s"
        case p50Ns = "p50_ns", p99Ns = "p99_ns", latencySamples = "latency_samples"
        case baseline, baselineGbPerS = "baseline_gb_per_s", baselineMillionOpsPerS = "baseline_million_ops_per_s", ratio
        case ceilingThreads = "ceiling_threads", ceilingGbPerS = "ceiling_gb_per_s"
        case workingSetBytes = "working_set_bytes", eagainRetries = "eagain_retries", verified
    }

    /// A value of one key.
    public enum Cell: Sendable, Equatable {
        /// Text.
        case text(String)
        /// A whole number.
        case integer(Int)
        /// A real number.
        case number(Double)
        /// True or false.
        case flag(Bool)
        /// Does not apply.
        case null
    }

    /// Every key with its value, in the order the record is written (JSON and CSV alike).
    public var cells: [(key: CodingKeys, value: Cell)] {
        func integer(_ value: Int?) -> Cell { value.map(Cell.integer) ?? .null }
        func number(_ value: Double?) -> Cell { value.map(Cell.number) ?? .null }
        func text(_ value: String?) -> Cell { value.map(Cell.text) ?? .null }
        return [
            (.schemaVersion, .integer(schemaVersion)), (.command, .text(command)), (.measuredAt, .text(measuredAt)), (.backend, .text(backend)),
            (.device, .text(device)), (.operation, .text(operation)), (.readPercent, integer(readPercent)), (.sizeBytes, .integer(sizeBytes)),
            (.queueDepth, .integer(queueDepth)), (.iovecs, .integer(iovecs)), (.workers, integer(workers)),
            (.completion, text(completion)), (.resubmit, .text(resubmit)), (.hot, .flag(hot)),
            (.measuredSeconds, .number(measuredSeconds)), (.operations, .integer(operations)), (.gbPerS, .number(gbPerS)),
            (.millionOpsPerS, .number(millionOpsPerS)), (.p50Ns, integer(p50Ns)), (.p99Ns, integer(p99Ns)),
            (.latencySamples, .integer(latencySamples)), (.baseline, .text(baseline)), (.baselineGbPerS, .number(baselineGbPerS)),
            (.baselineMillionOpsPerS, .number(baselineMillionOpsPerS)), (.ratio, .number(ratio)),
            (.ceilingThreads, integer(ceilingThreads)), (.ceilingGbPerS, number(ceilingGbPerS)),
            (.workingSetBytes, .integer(workingSetBytes)), (.eagainRetries, .integer(eagainRetries)), (.verified, .flag(verified)),
        ]
    }

    /// Writes every key of ``cells`` in order, null included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, cell) in cells {
            switch cell {
            case .text(let value): try container.encode(value, forKey: key)
            case .integer(let value): try container.encode(value, forKey: key)
            case .number(let value): try container.encode(value.isFinite ? value : 0, forKey: key)
            case .flag(let value): try container.encode(value, forKey: key)
            case .null: try container.encodeNil(forKey: key)
            }
        }
    }

    /// `secondsSinceEpoch` as UTC ISO 8601 with seconds (`2026-12-03T05:40:12Z`).
    public static func timestamp(secondsSinceEpoch: Int) -> String {
        var time = time_t(secondsSinceEpoch)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Now, as ``timestamp(secondsSinceEpoch:)``.
    public static func now() -> String { timestamp(secondsSinceEpoch: Int(time(nil))) }
}

extension BenchRecord {
    /// Builds the record of a finished point.
    /// - Parameters:
    ///   - report: The point's report.
    ///   - measuredAt: When it ended (``timestamp(secondsSinceEpoch:)``).
    public init(_ report: BenchReport, measuredAt: String) {
        let device = report.measurement.throughput
        let parameters = report.parameters
        schemaVersion = Self.currentSchemaVersion
        self.measuredAt = measuredAt
        backend = report.backend
        self.device = report.device
        operation = parameters.workloadName
        readPercent = parameters.readPercent
        sizeBytes = parameters.size
        queueDepth = parameters.queueDepth
        iovecs = parameters.iovecs
        workers = report.workers
        completion = report.completionMode
        resubmit = parameters.resubmit.rawValue
        hot = parameters.hot
        measuredSeconds = device.seconds
        operations = device.operations
        gbPerS = device.gigabytesPerSecond
        millionOpsPerS = device.megaOperationsPerSecond
        p50Ns = report.latency(0.5).map { Int(clamping: $0) }
        p99Ns = report.latency(0.99).map { Int(clamping: $0) }
        latencySamples = report.measurement.latencies.count
        baseline = parameters.operation.copiesData ? "memcpy" : "memset"
        baselineGbPerS = report.baseline.gigabytesPerSecond
        baselineMillionOpsPerS = report.baseline.megaOperationsPerSecond
        ratio = report.ratio
        ceilingThreads = report.ceiling == nil ? nil : report.ceilingThreads
        ceilingGbPerS = report.ceiling?.gigabytesPerSecond
        workingSetBytes = report.workingSetBytes
        eagainRetries = report.measurement.retries
        verified = report.measurement.verified
    }
}
