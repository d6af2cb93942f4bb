import DMAHost

/// The text and JSON forms of a ``StressResult``.
enum StressReport {
    /// Bytes as decimal megabytes with one decimal ("12.3").
    static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Verified operations per second over the run.
    static func rate(_ operations: Int, _ elapsed: Duration) -> Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(operations) / seconds : 0
    }

    /// The table and the lines under it.
    static func text(_ result: StressResult) -> [String] {
        let settings = result.settings
        let tenths = (Formatting.microseconds(result.elapsed) + 50_000) / 100_000
        var lines = ["stress \(tenths / 10).\(tenths % 10) s, seed \(settings.seed), "
                     + "\(settings.jobs) job(s) per device, 1 B to \(settings.maxSize) B, up to \(settings.maxSegments) segment(s), "
                     + "\(result.targets.count) device(s)"]
        var rows = [["device"] + StressKind.allCases.map(\.rawValue)
                    + ["MB", "ops/s", "errors", "verify", "timeouts", "faults", "p50 us", "p99 us"]]
        for (index, target) in result.targets.enumerated() {
            let tally = result.devices[index]
            let kinds = target.kinds
            rows.append([target.endpoint.name] + StressKind.allCases.map { kinds.contains($0) ? String(tally.completed[$0] ?? 0) : "-" } + [
                megabytes(tally.bytes), String(Int(rate(tally.verified, result.elapsed).rounded())), String(tally.errors),
                String(tally.verifyFailures), String(tally.timedOut), String(result.faults[index].total),
                tally.latencyPercentile(0.5).map(String.init) ?? "-", tally.latencyPercentile(0.99).map(String.init) ?? "-",
            ])
        }
        lines += Formatting.table(rows)
        for (index, target) in result.targets.enumerated() {
            let tally = result.devices[index], name = target.endpoint.name
            if target.kinds.isEmpty { lines.append("  \(name): declares no data operation (copy, fill, transfer); not driven") }
            for (source, count) in tally.unsupported.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(name): transfer from \(source) not supported (ENOTSUP, \(count) time(s)); not tried again")
            }
            if result.faults[index].total > 0 { lines.append("  \(name): COMPLETION FAULTS: \(result.faults[index])") }
            for problem in tally.problems { lines.append("  \(name): \(problem)") }
        }
        let registry = result.registry
        lines.append("registry: \(registry.created) domains created, \(registry.destroyed) destroyed, \(registry.walks) walks "
                     + "(\(registry.visited) domains met), \(registry.problemCount) problem(s)")
        for problem in registry.problems { lines.append("  registry: \(problem)") }
        let verdict = result.timeouts + result.failures
        lines.append(verdict.isEmpty ? "result: passed" : "result: FAILED: " + verdict.joined(separator: "; "))
        return lines
    }
}

/// The `stress` document.
struct StressReportJSON: Encodable {
    /// Verified operations of each kind; null for a kind the device does not declare.
    struct Operations: Encodable {
        let kinds: Set<StressKind>
        let completed: [StressKind: Int]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: DynamicKey.self)
            for kind in StressKind.allCases {
                if kinds.contains(kind) { try container.encode(completed[kind] ?? 0, forKey: DynamicKey(kind.rawValue)) }
                else { try container.encodeNil(forKey: DynamicKey(kind.rawValue)) }
            }
        }
    }

    /// Transfers from one source a device refused with ENOTSUP.
    struct Unsupported: Encodable {
        let source: String
        let count: Int
    }

    /// Latency percentiles, submission to the job's resumption.
    struct Latency: Encodable {
        @Nullable var p50: Int?
        @Nullable var p99: Int?
        @Nullable var max: Int?
    }

    /// One driven device.
    struct Device: Encodable {
        let id: String
        @Nullable var domain: String?
        let operations: Operations
        let submitted: Int
        let verified: Int
        let bytes: Int
        let operationsPerSecond: Double
        let errors: Int
        let verifyFailures: Int
        let timedOut: Int
        let unsupportedTransfers: [Unsupported]
        let completionFaults: FaultCountsJSON
        let latencyMicroseconds: Latency
        let problems: [String]
    }

    /// A device that did not open.
    struct NotOpened: Encodable {
        let id: String
        let reason: String
    }

    /// The registry threads' tally.
    struct Registry: Encodable {
        let created: Int
        let destroyed: Int
        let walks: Int
        let domainsMet: Int
        let problemCount: Int
        let problems: [String]
    }

    let seconds: Double
    let elapsedMicroseconds: Int64
    /// The seed, as a string: JSON numbers lose precision above 2^53.
    let seed: String
    let jobs: Int
    let maxSizeBytes: Int
    let maxSegments: Int
    let devices: [Device]
    let notOpened: [NotOpened]
    let registry: Registry
    let unattributedCompletionFaults: FaultCountsJSON
    let failures: [String]
    let passed: Bool

    init(_ result: StressResult) {
        let settings = result.settings
        seconds = Double(settings.duration.components.seconds) + Double(settings.duration.components.attoseconds) / 1e18
        elapsedMicroseconds = Formatting.microseconds(result.elapsed)
        seed = String(settings.seed)
        jobs = settings.jobs
        maxSizeBytes = settings.maxSize
        maxSegments = settings.maxSegments
        devices = result.targets.enumerated().map { index, target in
            let tally = result.devices[index]
            return Device(
                id: target.endpoint.name, domain: target.endpoint.domain.id,
                operations: Operations(kinds: Set(target.kinds), completed: tally.completed),
                submitted: tally.submitted, verified: tally.verified, bytes: tally.bytes,
                operationsPerSecond: finite((StressReport.rate(tally.verified, result.elapsed) * 10).rounded() / 10) ?? 0,
                errors: tally.errors, verifyFailures: tally.verifyFailures, timedOut: tally.timedOut,
                unsupportedTransfers: tally.unsupported.sorted { $0.key < $1.key }.map { Unsupported(source: $0.key, count: $0.value) },
                completionFaults: FaultCountsJSON(result.faults[index]),
                latencyMicroseconds: Latency(p50: tally.latencyPercentile(0.5).map(Int.init), p99: tally.latencyPercentile(0.99).map(Int.init),
                                             max: tally.latencies.max().map(Int.init)),
                problems: tally.problems)
        }
        notOpened = result.openFailures.map { NotOpened(id: $0.id, reason: $0.reason) }
        let registry = result.registry
        self.registry = Registry(created: registry.created, destroyed: registry.destroyed, walks: registry.walks,
                                 domainsMet: registry.visited, problemCount: registry.problemCount, problems: registry.problems)
        unattributedCompletionFaults = FaultCountsJSON(result.unattributedFaults)
        failures = result.timeouts + result.failures
        passed = result.timeouts.isEmpty && result.failures.isEmpty
    }
}
