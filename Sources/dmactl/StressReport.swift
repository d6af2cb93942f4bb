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
