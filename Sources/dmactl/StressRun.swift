import DMAHost
import SeededRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a stress run found.
struct StressResult: Sendable {
    var settings: StressSettings
    var targets: [StressTarget]
    /// Per device, in the order of `targets`.
    var devices: [DeviceTally]
    /// Completion faults counted against each device's domain during the run.
    var faults: [CompletionFaultCounts]
    /// Completion faults during the run that no device's domain accounts for.
    var unattributedFaults: CompletionFaultCounts
    var registry: RegistryTally
    var elapsed: Duration
    /// Jobs that had not ended when the run gave up waiting (an operation that never returned).
    var lostJobs: Int
    /// Devices selected that did not open, with the reason.
    var openFailures: [(id: String, reason: String)]

    /// Operations submitted but never ended, per device.
    func unaccounted(_ index: Int) -> Int { devices[index].submitted - devices[index].ended }

    /// Everything that makes the run fail except timeouts, one line each.
    var failures: [String] {
        var lines: [String] = []
        for (index, target) in targets.enumerated() {
            let tally = devices[index], name = target.endpoint.name
            if tally.verifyFailures > 0 { lines.append("\(name): \(tally.verifyFailures) verify failure(s)") }
            if tally.errors > 0 { lines.append("\(name): \(tally.errors) failed operation(s)") }
            if faults[index].total > 0 { lines.append("\(name) broke the completion contract (\(faults[index]))") }
        }
        if unattributedFaults.total > 0 { lines.append("completion faults of no device under test (\(unattributedFaults))") }
        if registry.problemCount > 0 { lines.append("registry: \(registry.problemCount) problem(s) with churned domains or walks") }
        for failure in openFailures { lines.append("\(failure.id) did not open: \(failure.reason)") }
        return lines
    }

    /// Operations that did not complete in time, or never ended, one line each.
    var timeouts: [String] {
        var lines: [String] = []
        for (index, target) in targets.enumerated() {
            if devices[index].timedOut > 0 { lines.append("\(target.endpoint.name): \(devices[index].timedOut) operation(s) timed out") }
            let missing = unaccounted(index) - devices[index].timedOut
            if lostJobs > 0 && missing > 0 { lines.append("\(target.endpoint.name): \(missing) operation(s) never ended") }
        }
        return lines
    }
}

/// A stress run: `settings.jobs` jobs per device submitting random operations, domain churn
/// and registry walks on threads beside them, and a progress line on stderr every second.
struct StressRun {
    let targets: [StressTarget]
    let settings: StressSettings

    func run(openFailures: [(id: String, reason: String)], progress: Bool) async -> StressResult {
        let jobCount = targets.count * settings.jobs
        let tally = StressTally(deviceCount: targets.count, jobs: jobCount)
        let domains = targets.map(\.endpoint.domain)
        let faultsBefore = domains.map { CompletionFaults.counts(domain: $0) }
        let totalBefore = CompletionFaults.total
        let churn = RegistryChurn(devices: domains)
        churn.start(churnThreads: settings.churnThreads, walkThreads: settings.walkThreads, seed: settings.seed)

        let start = ContinuousClock.now
        let deadline = start + settings.duration
        let peers = [StressTarget.system] + targets
        for (index, target) in targets.enumerated() {
            for job in 0..<settings.jobs {
                // One output of a generator seeded apart per job: jobs' streams do not overlap.
                var seeds = SeededGenerator(seed: settings.seed &+ UInt64(index * 1000 + job))
                let worker = StressJob(index: index, target: target, peers: peers, settings: settings, seed: seeds.next())
                Task { await worker.run(until: deadline, tally: tally) }
            }
        }
        // An operation makes up to five awaited calls (two images, itself, two reads), each
        // bounded by the timeout; past that, a job that has not ended never will.
        let giveUp = deadline + settings.timeout * 6 + .seconds(5)
        var nextLine = start + .seconds(1)
        while tally.runningJobs > 0 && ContinuousClock.now < giveUp {
            try? await Task.sleep(for: .milliseconds(50))
            if progress && ContinuousClock.now >= nextLine {
                nextLine += .seconds(1)
                printError(progressLine(tally.devices, domains: domains, faultsBefore: faultsBefore, since: start))
            }
        }
        let lost = tally.runningJobs
        let registry = churn.stop()
        let faults = zip(domains, faultsBefore).map { CompletionFaults.counts(domain: $0).since($1) }
        var unattributed = CompletionFaults.total.since(totalBefore)
        for counts in faults {
            for (kind, count) in counts.byKind { unattributed.byKind[kind, default: 0] -= count }
        }
        unattributed.byKind = unattributed.byKind.filter { $0.value != 0 }
        return StressResult(settings: settings, targets: targets, devices: tally.devices, faults: faults,
                            unattributedFaults: unattributed, registry: registry, elapsed: start.duration(to: .now),
                            lostJobs: lost, openFailures: openFailures)
    }

    /// "stress: 3 s of 20: 12345 ops, 1234.5 MB, 0 errors, 0 completion faults".
    private func progressLine(_ devices: [DeviceTally], domains: [MemoryDomain], faultsBefore: [CompletionFaultCounts],
                              since start: ContinuousClock.Instant) -> String {
        let operations = devices.reduce(0) { $0 + $1.verified }
        let bytes = devices.reduce(0) { $0 + $1.bytes }
        let errors = devices.reduce(0) { $0 + $1.errors + $1.verifyFailures + $1.timedOut }
        let faults = zip(domains, faultsBefore).reduce(0) { $0 + CompletionFaults.counts(domain: $1.0).since($1.1).total }
        let elapsed = start.duration(to: .now).components.seconds
        return "stress: \(elapsed) s of \(settings.duration.components.seconds): \(operations) ops, "
            + "\(StressReport.megabytes(bytes)) MB, \(errors) errors, \(faults) completion faults"
    }
}
