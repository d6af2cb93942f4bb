import ArgumentParser
import DMAHost
import DriverHost

extension DMACtl {
    /// `dmactl doctor`: why each plugin was or was not loaded, and what each driver checked.
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain every candidate plugin, each driver's own checks, and whether each device opens.",
            discussion: """
                A device passes when it opens, provides at least one memory domain, and closes. \
                --isolate loads, probes and checks each candidate plugin in a child process of its own \
                with a time limit (--isolate-timeout), and reports a plugin that crashes its process \
                (with the signal) or does not answer in time (hangs) as a rejection, with the step it \
                was at: use it to find the plugin that kills or blocks every program that loads it.

                Exit status: 0 when nothing is wrong, 5 when something is (rejected, crashed or hung \
                plugin, failed check, device that does not open), 4 when no driver loaded.
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Flag(help: "Load and check each plugin in a child process of its own, with a time limit.")
        var isolate = false

        @Option(name: .customLong("isolate-timeout"),
                help: ArgumentHelp("Seconds each plugin's child process may take with --isolate.", valueName: "seconds"))
        var isolateTimeout: Double = 10

        func validate() throws {
            guard isolateTimeout > 0, isolateTimeout <= 3600 else {
                throw ValidationError("--isolate-timeout must be in (0, 3600] seconds, got \(isolateTimeout)")
            }
        }

        func run() async throws {
            let options = self.options.merged(with: root.global)
            if isolate {
                try DoctorIsolation(options: options, limit: isolateTimeout).run()
                return
            }
            let session = try Session(options)
            let host = session.host
            let diagnostics = host.diagnostics()
            let checks = host.devices.map { DeviceCheck.run($0.id, host: host) }
            let failedLines = diagnostics.flatMap(\.lines).filter { !$0.ok }.count
            let failedDevices = checks.filter { $0.error != nil }.count
            let rejected = host.rejections.count

            var failure: Failure?
            if host.drivers.isEmpty {
                failure = Failure(.noDrivers, "no driver could be loaded (see the candidates above)")
            } else if rejected + failedLines + failedDevices > 0 {
                failure = Failure(.problems, "\(rejected) rejected plugins, \(failedLines) failed checks, \(failedDevices) devices that do not open")
            }
            try finish(DoctorReport(session, diagnostics: diagnostics, checks: checks), command: "doctor", format: options.format,
                       failure: failure) {
                printText(session, diagnostics: diagnostics, checks: checks)
                print("Summary: \(host.drivers.count) drivers, \(host.devices.count) devices, \(rejected) rejected, "
                      + "\(failedLines) failed checks, \(failedDevices) devices that do not open")
            }
        }

        private func printText(_ session: Session, diagnostics: [DriverDiagnostics], checks: [DeviceCheck]) {
            let search = session.search
            print("Plugin search (in this order)")
            print("  1. --driver-dir:        \(search.explicit.isEmpty ? "(none)" : search.explicit.joined(separator: ", "))")
            let environment = search.ignoredEnvironmentPath.map { "\($0) (ignored: \(session.host.execution.secureExecutionReason))" }
                ?? search.environmentPath ?? "(not set)"
            print("  2. \(DriverSearch.environmentVariable): \(environment)")
            print("  3. installed directory: \(search.installedDirectories.isEmpty ? "(none)" : search.installedDirectories.joined(separator: ", "))")
            print("Candidates (\(session.outcomes.count))")
            if session.outcomes.isEmpty { print("  none: no file named libdmahost-*.so was found") }
            for outcome in session.outcomes {
                switch outcome {
                case .loaded(let driver):
                    let foundAs = driver.candidate.path == driver.path ? "" : ", found as \(driver.candidate.path)"
                    print("  [loaded]   \(driver.path) (\(driver.candidate.source)\(foundAs)): driver \(driver.name) \(driver.version), "
                          + "ABI \(driver.abiVersion), \(session.host.devices.count { $0.driverName == driver.name }) devices")
                    for problem in driver.waivedTrustProblems {
                        print("             [waived by \(ExecutionContext.allowInsecurePluginsVariable)=1] \(problem)")
                    }
                case .rejected(let rejection):
                    print("  [rejected] \(rejection.candidate.path) (\(rejection.candidate.source)): \(rejection.kind.rawValue): \(rejection.reason)")
                    for line in rejection.diagnostics { print("             " + lineText(line)) }
                }
            }
            print("Driver checks")
            if diagnostics.isEmpty { print("  none: no driver loaded") }
            for report in diagnostics {
                print("  \(report.driverName)")
                if report.lines.isEmpty { print("    (the driver reports no checks)") }
                for line in report.lines { print("    " + lineText(line)) }
            }
            print("Device checks (open, then close)")
            if checks.isEmpty { print("  none: no devices") }
            for check in checks {
                if let error = check.error {
                    print("  [fail] \(check.id): \(error)")
                } else {
                    print("  [ok]   \(check.id): \(check.domains.count) domain(s): \(check.domains.joined(separator: ", "))")
                }
                if check.faults.total > 0 { print("         completion faults: \(check.faults)") }
            }
        }

        private func lineText(_ line: DriverDiagnostic) -> String {
            "[\(line.ok ? "ok" : "fail")] \(line.subject): \(line.detail)"
        }
    }
}
