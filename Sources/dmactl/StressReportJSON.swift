import DMAHost

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
