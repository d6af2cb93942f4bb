import DMASync

/// What `dmactl stress` counted for one device.
struct DeviceTally: Sendable {
    /// Operations submitted (each ends in exactly one of the counts below).
    var submitted = 0
    /// Operations that completed and verified, by kind.
    var completed: [StressKind: Int] = [:]
    /// Bytes moved or zeroed by verified operations.
    var bytes = 0
    /// Operations refused or completed with an error.
    var errors = 0
    /// Operations that completed with 0 but left a wrong byte.
    var verifyFailures = 0
    /// Operations that did not complete within the timeout.
    var timedOut = 0
    /// Transfers refused with ENOTSUP, by source domain (not errors).
    var unsupported: [String: Int] = [:]
    /// The first problems (errors, verify failures, timeouts), in order; at most ``maximumProblems``.
    var problems: [String] = []
    /// Latencies of verified operations in microseconds (the first ``maximumSamples``).
    var latencies: [UInt32] = []

    static let maximumProblems = 5
    static let maximumSamples = 1 << 20

    /// Operations that ended, whatever the outcome.
    var ended: Int { completed.values.reduce(0, +) + errors + verifyFailures + timedOut + unsupported.values.reduce(0, +) }

    /// Verified operations.
    var verified: Int { completed.values.reduce(0, +) }

    /// Counts one outcome.
    mutating func record(_ outcome: StressOutcome, kind: StressKind) {
        switch outcome {
        case .completed(let size, let latency):
            completed[kind, default: 0] += 1
            bytes += size
            if latencies.count < Self.maximumSamples {
                latencies.append(UInt32(clamping: Formatting.microseconds(latency)))
            }
        case .verifyFailed(let message):
            verifyFailures += 1
            note(message)
        case .failed(let message):
            errors += 1
            note(message)
        case .timedOut(let message):
            timedOut += 1
            note(message)
        case .unsupported(let source):
            unsupported[source, default: 0] += 1
        }
    }

    private mutating func note(_ message: String) {
        if problems.count < Self.maximumProblems { problems.append(message) }
    }

    /// The latency below which `fraction` of the samples fall, in microseconds; nil without samples.
    func latencyPercentile(_ fraction: Double) -> UInt32? {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[max(index, 0)]
    }
}

/// The tallies of every device under test, shared by their jobs and the progress line.
final class StressTally: Sendable {
    private struct State {
        var devices: [DeviceTally]
        var runningJobs: Int
    }
    private let state: Locked<State>

    /// Tallies for `deviceCount` devices driven by `jobs` jobs in all.
    init(deviceCount: Int, jobs: Int) {
        state = Locked(State(devices: Array(repeating: DeviceTally(), count: deviceCount), runningJobs: jobs))
    }

    /// Counts an operation of device `index` as submitted, before it is.
    func submitted(_ index: Int) { state.withLock { $0.devices[index].submitted += 1 } }

    /// Counts how an operation of device `index` ended.
    func ended(_ index: Int, _ kind: StressKind, _ outcome: StressOutcome) {
        state.withLock { $0.devices[index].record(outcome, kind: kind) }
    }

    /// A job stopped submitting (its time is up, or an operation timed out).
    func jobFinished() { state.withLock { $0.runningJobs -= 1 } }

    /// Jobs still running.
    var runningJobs: Int { state.withLock { $0.runningJobs } }

    /// A copy of every device's counts.
    var devices: [DeviceTally] { state.withLock { $0.devices } }
}
