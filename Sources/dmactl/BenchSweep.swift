import ArgumentParser
import DMABench
import DMAHost
import DMASync
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMACtl.Bench {
    /// Bytes per operation when neither --size nor --sizes is given.
    static let defaultSize = ByteSize(bytes: 64 << 10)
    /// Operations in flight when neither --qd nor --queue-depths is given.
    static let defaultQueueDepth = 32

    /// True when the command line asks for a sweep (lists, or records) rather than the detailed
    /// report of one point.
    var isSweep: Bool {
        sizes != nil || queueDepths != nil || outputFormat != .table || jsonl != nil || csv != nil
    }

    /// The points to run, from --sizes/--size and --queue-depths/--qd.
    /// - Throws: ``DMAError/invalidArgument(_:)`` naming the option for a list that does not
    ///   parse, or for a single value and a list of the same thing given together.
    func sweepPlan() throws(DMAError) -> SweepPlan {
        if sizes != nil && size != nil { throw .invalidArgument("--size and --sizes both give the sizes; use one") }
        if queueDepths != nil && qd != nil { throw .invalidArgument("--qd and --queue-depths both give the queue depth; use one") }
        do throws(SweepListError) {
            let sizeList = try sizes.map { text throws(SweepListError) in try SweepList.sizes(text, option: "--sizes") }
                ?? [(size ?? Self.defaultSize).bytes]
            let depthList = try queueDepths.map { text throws(SweepListError) in
                try SweepList.counts(text, option: "--queue-depths", range: 1...4096)
            } ?? [qd ?? Self.defaultQueueDepth]
            return SweepPlan(sizes: sizeList, queueDepths: depthList, secondsPerPoint: seconds)
        } catch {
            throw .invalidArgument(error.message)
        }
    }

    /// Runs every point of the plan, printing a row (or record) as each ends, with one progress
    /// line over the whole run.
    func runSweep(_ endpoint: Endpoint, backend: String, session: Session, showProgress: Bool) throws(Failure) {
        let plan: SweepPlan
        do throws(DMAError) { plan = try sweepPlan() } catch { throw Failure(.usage, error.message) }
        let stdoutFormat: SweepOutputFormat = options.merged(with: root.global).format == .json ? .jsonl : outputFormat
        let files = try [jsonl.map { ($0, BenchRecordFormat.jsonl) }, csv.map { ($0, BenchRecordFormat.csv) }]
            .compactMap { $0 }.map { path, format throws(Failure) in try RecordFile(path: path, format: format) }
        let first = parameters(size: plan.points[0].size, queueDepth: plan.points[0].queueDepth)
        let budget = Benchmark.budget(for: first, domain: endpoint.domain)
        let baselineName = op.copiesData ? "memcpy" : "memset"
        printError("dmactl bench: \(endpoint.name) \(first.workloadDescription)\(iovecs > 1 ? ", \(iovecs) iovecs" : ""), "
                   + plan.summary(budget: budget, baselineName: baselineName))
        let stdoutRecords: BenchRecordFormat? = switch stdoutFormat {
        case .table: nil
        case .jsonl: .jsonl
        case .csv: .csv
        }
        for line in stdoutRecords?.header ?? [SweepTable.header] { print(line) }
        fflush(nil)  // stdout: rows appear as points end, also through a pipe

        let faultsBefore = CompletionFaults.counts(domain: endpoint.domain)
        let started = monotonicSeconds()
        var unverified: [String] = []
        for (index, point) in plan.points.enumerated() {
            let pointStart = monotonicSeconds()
            let label = "[\(endpoint.name) \(first.workloadName) \(ByteSize(bytes: point.size)) qd \(point.queueDepth)]"
            // Each point ends where the plan says: a point that overran (unmapping its working
            // set, waiting for threads on a busy machine) shortens the next, never below half.
            var pointParameters = parameters(size: point.size, queueDepth: point.queueDepth)
            pointParameters.seconds = max(seconds / 2, Double(index + 1) * seconds - (pointStart - started))
            let report = try measure(endpoint, backend: backend, parameters: pointParameters,
                                     progress: showProgress ? { progress in
                                         let overall = plan.progress(point: index, elapsedInPoint: monotonicSeconds() - pointStart)
                                         writeStandardError("\r\u{1B}[K\(label) \(overall.line)  \(progress.phase.rawValue)"
                                                            + (progress.gigabytesPerSecond.map { "  \(Format.fixed($0, 2)) GB/s" } ?? ""))
                                     } : nil)
            if showProgress { writeStandardError("\r\u{1B}[K") }
            let record = BenchRecord(report, measuredAt: BenchRecord.now())
            if !record.verified { unverified.append("\(ByteSize(bytes: point.size)) qd \(point.queueDepth)") }
            print(stdoutRecords?.line(record) ?? SweepTable.row(record))
            fflush(nil)  // stdout: rows appear as points end, also through a pipe
            for file in files { file.write(record) }
        }
        let faults = CompletionFaults.counts(domain: endpoint.domain).since(faultsBefore)
        // What the serving driver says about the device after the run, on stderr: stdout holds
        // only the table or the records.
        for line in (session.host.drivers.first { $0.name == backend }?.diagnose() ?? []) where line.subject.hasPrefix(endpoint.name + " ") {
            printError("dmactl bench: driver: \(line.subject): \(line.detail)")
        }
        printError("dmactl bench: ran \(Format.fixed(monotonicSeconds() - started, 1)) s of \(Format.fixed(plan.totalSeconds, 1)) s planned; "
                   + "completion faults: \(faults)")
        guard unverified.isEmpty else {
            throw Failure(.failed, "the data of \(unverified.joined(separator: ", ")) do not match: \(endpoint.name) did not "
                          + "\(op.copiesData ? "copy" : "zero") correctly")
        }
        guard faults.total == 0 else {
            throw Failure(.failed, "\(endpoint.name) broke the completion contract (\(faults)); the numbers are not trustworthy "
                          + "and its driver is faulty: report it to the driver's vendor")
        }
    }
}

/// Seconds on the monotonic clock.
private func monotonicSeconds() -> Double { Double(monotonicNanoseconds()) / 1e9 }
