import ArgumentParser
import DMAHost
import DriverHost
import Logging

extension DMACtl {
    /// The child side of `dmactl doctor --isolate` (hidden): loads and probes one plugin file
    /// alone, runs its diagnose, opens and closes each of its devices, and writes what it finds
    /// as ``IsolationReport`` lines on standard output, each before the step it names so that
    /// the parent knows where a crash or a hang happened.
    struct IsolatedCheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "isolated-check",
            abstract: "Check one plugin file in this process (used by doctor --isolate).",
            shouldDisplay: false
        )

        @Option(help: ArgumentHelp("The plugin file.", valueName: "path"))
        var plugin: String

        func run() throws {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .warning
                return handler
            }
            let host = DriverHost(logger: Logger(label: "dmactl"))
            IsolationReport.emit("stage", "load and probe")
            for outcome in host.load(paths: [plugin]) {
                switch outcome {
                case .loaded(let driver):
                    IsolationReport.emit("loaded", driver.name, driver.version, driver.abiVersion,
                                         String(host.devices.count { $0.driverName == driver.name }))
                case .rejected(let rejection):
                    IsolationReport.emit("rejected", rejection.kind.rawValue, rejection.reason)
                    for line in rejection.diagnostics { IsolationReport.emit("check", line.subject, line.ok ? "1" : "0", line.detail) }
                }
            }
            if let driver = host.drivers.first {
                IsolationReport.emit("stage", "diagnose")
                for line in driver.diagnose() { IsolationReport.emit("check", line.subject, line.ok ? "1" : "0", line.detail) }
            }
            for device in host.devices {
                IsolationReport.emit("stage", "open and close \(device.id)")
                let check = DeviceCheck.run(device.id, host: host)
                IsolationReport.emit("device", check.id, check.error ?? "", check.domains.joined(separator: ", "))
            }
            IsolationReport.emit("stage", "shutdown")
            host.shutdown()
            IsolationReport.emit("done")
        }
    }
}
