import DMAHost
import DriverHost
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `dmactl doctor --isolate`: every candidate plugin is loaded, probed, diagnosed and has its
/// devices opened and closed in a child process of its own (dmactl's hidden `isolated-check`),
/// with a time limit. A plugin that kills its host (a signal) or blocks it (no answer in time)
/// is reported with the step it was at, and nothing else is affected: this process never
/// loads a plugin.
struct DoctorIsolation {
    /// What became of one candidate.
    enum Verdict {
        /// The child finished; what it reported.
        case reported(IsolationReport)
        /// A signal killed the child during `stage`.
        case crashed(signal: Int32, stage: String, stderr: [String])
        /// The child did not finish within the limit during `stage`; it was killed.
        case hung(stage: String, stderr: [String])
        /// The child exited with a status without finishing (or could not be started).
        case failed(String, stderr: [String])
    }

    let options: GlobalOptions
    /// Seconds each child may take.
    let limit: Double

    func run() throws(Failure) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = options.verbose ? .debug : .warning
            return handler
        }
        guard let executable = ChildProcess.currentExecutable() else {
            throw Failure(.failed, "cannot find dmactl's own executable (/proc/self/exe) to run the isolated checks")
        }
        let execution = ExecutionContext.current()
        if !options.driverDirectories.isEmpty, let refusal = execution.pluginPathRefusal {
            throw Failure(.usage, "--driver-dir \(options.driverDirectories.joined(separator: ", ")): \(refusal)")
        }
        let search = options.search(in: execution)
        let (candidates, problems) = search.candidates(in: execution)
        var results: [(candidate: PluginCandidate, verdict: Verdict)] = []
        for candidate in candidates {
            let arguments = [executable, "isolated-check", "--plugin", candidate.path]
            results.append((candidate, verdict(ChildProcess.run(arguments, environment: Self.childEnvironment, limit: limit))))
        }
        let duplicates = Self.duplicateNames(results)

        var loaded = 0, devices = 0, rejected = problems.count, crashed = 0, hung = 0, failedChecks = 0, failedDevices = 0
        for (index, result) in results.enumerated() {
            switch result.verdict {
            case .reported(let report):
                if report.loaded != nil && duplicates[index] == nil {
                    loaded += 1
                    devices += report.devices.count
                } else {
                    rejected += 1
                }
                failedChecks += report.checks.count { !$0.ok }
                failedDevices += report.devices.count { $0.error != nil }
            case .crashed: crashed += 1
            case .hung: hung += 1
            case .failed: rejected += 1
            }
        }

        var failure: Failure?
        if loaded == 0 {
            failure = Failure(.noDrivers, "no driver could be loaded (see the candidates above)")
        } else if rejected + crashed + hung + failedChecks + failedDevices > 0 {
            failure = Failure(.problems, "\(rejected) rejected, \(crashed) crashed, \(hung) hung plugins, \(failedChecks) failed checks, "
                              + "\(failedDevices) devices that do not open")
        }
        try finish(report(search, results, problems: problems, duplicates: duplicates), command: "doctor", format: options.format,
                   failure: failure) {
            printText(search, results, problems: problems, duplicates: duplicates)
            print("Summary: \(loaded) drivers, \(devices) devices, \(rejected) rejected, \(crashed) crashed, \(hung) hung, "
                  + "\(failedChecks) failed checks, \(failedDevices) devices that do not open")
        }
    }

    /// Classifies how a child ended.
    private func verdict(_ result: Result<ChildResult, Failure>) -> Verdict {
        switch result {
        case .failure(let failure):
            return .failed(failure.message, stderr: [])
        case .success(let child):
            let report = IsolationReport(parsing: child.stdout)
            let stderr = Array(child.stderr.split(separator: "\n").suffix(5).map(String.init))
            switch child.termination {
            case .signaled(let signal): return .crashed(signal: signal, stage: report.stage, stderr: stderr)
            case .timedOut: return .hung(stage: report.stage, stderr: stderr)
            case .exited where report.done: return .reported(report)
            case .exited(let status): return .failed("the check exited with status \(status) during \(report.stage)", stderr: stderr)
            }
        }
    }

    /// For each result whose driver name an earlier loaded result already has: that earlier
    /// candidate's path (one process would reject the later copy as a duplicate).
    static func duplicateNames(_ results: [(candidate: PluginCandidate, verdict: Verdict)]) -> [Int: String] {
        var first: [String: String] = [:]
        var duplicates: [Int: String] = [:]
        for (index, result) in results.enumerated() {
            guard case .reported(let report) = result.verdict, let name = report.loaded?.name else { continue }
            if let path = first[name] { duplicates[index] = path } else { first[name] = result.candidate.path }
        }
        return duplicates
    }

    /// Settings for the child: a plugin's crash must end it with the signal, which the parent
    /// reports. The Swift runtime's backtracer (pages of output, then the signal) is off, and
    /// so are the crash handlers of a sanitizer runtime dmactl may be built with (which would
    /// turn the signal into an exit status).
    static var childEnvironment: [String] {
        let handlers = "handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:handle_abort=0"
        let sanitizers = ["TSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS"].map { name in
            let current = getenv(name).map { String(cString: $0) } ?? ""
            return "\(name)=\(current.isEmpty ? "" : current + ":")\(handlers)"
        }
        return ["SWIFT_BACKTRACE=enable=no"] + sanitizers
    }

    /// The limit as text: "10 s", "0.5 s".
    private var limitText: String { limit == limit.rounded() && limit < 1e9 ? "\(Int(limit)) s" : "\(limit) s" }

    /// "SIGSEGV (Segmentation fault)".
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGSEGV: "SIGSEGV", SIGILL: "SIGILL", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
                                      SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP", SIGTERM: "SIGTERM", SIGSYS: "SIGSYS"]
        let description = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
        return "\(names[signal] ?? "signal \(signal)") (\(description))"
    }

    /// The one-line verdict of a candidate ("[loaded] …"), without its path.
    private func summary(_ verdict: Verdict, duplicateOf: String?) -> (tag: String, text: String) {
        switch verdict {
        case .reported(let report):
            if let duplicateOf, let loaded = report.loaded {
                return ("rejected", "duplicateName: a driver named '\(loaded.name)' is also in \(duplicateOf); in one process this copy would be rejected")
            }
            if let loaded = report.loaded {
                return ("loaded", "driver \(loaded.name) \(loaded.version), ABI \(loaded.abi), \(loaded.devices) devices")
            }
            if let rejected = report.rejected { return ("rejected", "\(rejected.kind): \(rejected.reason)") }
            return ("rejected", "the check reported no outcome")
        case .crashed(let signal, let stage, _):
            return ("crashed", "killed by \(Self.signalName(signal)) during \(stage): any process that loads this plugin dies; "
                    + "remove it from the search path and report it to its vendor")
        case .hung(let stage, _):
            return ("hung", "no answer within \(limitText) during \(stage) (killed): any process that loads this plugin blocks; "
                    + "remove it from the search path and report it to its vendor")
        case .failed(let message, _):
            return ("failed", message)
        }
    }

    private func printText(_ search: DriverSearch, _ results: [(candidate: PluginCandidate, verdict: Verdict)],
                           problems: [PluginRejection], duplicates: [Int: String]) {
        print("Plugin search (in this order)")
        print("  1. --driver-dir:        \(search.explicit.isEmpty ? "(none)" : search.explicit.joined(separator: ", "))")
        print("  2. \(DriverSearch.environmentVariable): \(search.environmentPath ?? "(not set)")")
        print("  3. installed directory: \(search.installedDirectories.isEmpty ? "(none)" : search.installedDirectories.joined(separator: ", "))")
        print("Candidates (\(results.count + problems.count)), each loaded alone in a child process (limit \(limitText))")
        if results.isEmpty && problems.isEmpty { print("  none: no file named libdmahost-*.so was found") }
        for (index, result) in results.enumerated() {
            let (tag, text) = summary(result.verdict, duplicateOf: duplicates[index])
            let padded = "[\(tag)]" + String(repeating: " ", count: max(1, 11 - tag.count - 2))
            print("  \(padded)\(result.candidate.path) (\(result.candidate.source)): \(text)")
            switch result.verdict {
            case .reported(let report) where report.loaded == nil:
                for line in report.checks { print("             " + lineText(line)) }
            case .crashed(_, _, let stderr), .hung(_, let stderr), .failed(_, let stderr):
                for line in stderr { print("             stderr: \(line)") }
            default:
                break
            }
        }
        for problem in problems {
            print("  [rejected] \(problem.candidate.path) (\(problem.candidate.source)): \(problem.kind.rawValue): \(problem.reason)")
        }
        let reports = results.compactMap { result -> IsolationReport? in
            if case .reported(let report) = result.verdict, report.loaded != nil { report } else { nil }
        }
        print("Driver checks")
        if reports.isEmpty { print("  none: no driver loaded") }
        for report in reports {
            print("  \(report.loaded?.name ?? "")")
            if report.checks.isEmpty { print("    (the driver reports no checks)") }
            for line in report.checks { print("    " + lineText(line)) }
        }
        print("Device checks (open, then close, in the plugin's child process)")
        let devices = reports.flatMap(\.devices)
        if devices.isEmpty { print("  none: no devices") }
        for device in devices {
            if let error = device.error {
                print("  [fail] \(device.id): \(error)")
            } else {
                print("  [ok]   \(device.id): \(device.domains.count) domain(s): \(device.domains.joined(separator: ", "))")
            }
        }
    }

    private func lineText(_ line: DriverDiagnostic) -> String {
        "[\(line.ok ? "ok" : "fail")] \(line.subject): \(line.detail)"
    }

    private func report(_ search: DriverSearch, _ results: [(candidate: PluginCandidate, verdict: Verdict)],
                        problems: [PluginRejection], duplicates: [Int: String]) -> DoctorReport {
        let candidates: [DoctorReport.Candidate] = results.enumerated().map { index, result in
            let (tag, text) = summary(result.verdict, duplicateOf: duplicates[index])
            var candidate = DoctorReport.Candidate(path: result.candidate.path, source: result.candidate.source.rawValue, outcome: tag,
                                                   loaded: tag == "loaded", detail: text, driver: nil, kind: nil)
            switch result.verdict {
            case .reported(let report):
                candidate.driver = report.loaded?.name
                candidate.kind = duplicates[index] != nil ? "duplicateName" : report.rejected?.kind
                if report.loaded == nil { candidate.diagnostics = report.checks.map(DiagnosticJSON.init) }
            case .crashed(let signal, let stage, let stderr):
                candidate.signal = signal
                candidate.signalName = Self.signalName(signal)
                candidate.stage = stage
                candidate.stderr = stderr
            case .hung(let stage, let stderr):
                candidate.stage = stage
                candidate.stderr = stderr
            case .failed(_, let stderr):
                candidate.stderr = stderr
            }
            return candidate
        }
        let searchProblems = problems.map { problem in
            DoctorReport.Candidate(path: problem.candidate.path, source: problem.candidate.source.rawValue, outcome: "rejected",
                                   loaded: false, detail: problem.reason, driver: nil, kind: problem.kind.rawValue)
        }
        let reports = results.enumerated().compactMap { index, result -> IsolationReport? in
            if case .reported(let report) = result.verdict, report.loaded != nil, duplicates[index] == nil { report } else { nil }
        }
        return DoctorReport(isolatedSearch: search, limit: limit, candidates: candidates + searchProblems, reports: reports)
    }
}
