import ArgumentParser
import DMAHost
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMACtl {
    /// `dmactl env`: the configuration variables of the host and of every loaded plugin.
    struct Env: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every configuration variable of the host and the loaded plugins, with its value, default and meaning.",
            discussion: """
                The host's variables (DMAHOST_DRIVER_PATH, DMAHOST_ALLOW_INSECURE_PLUGINS) come first, \
                then each loaded driver's, as it declares them in its ops table (plugin ABI 1.2; an \
                older plugin declares none). A value is what this process's environment holds; \
                a plugin reads its variables when it probes or opens a device. Rejected plugins \
                are not listed: `dmactl doctor` explains them.

                Exit status: 0, or 4 when no driver could be loaded (the host's variables are still listed).
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        func run() async throws {
            let options = self.options.merged(with: root.global)
            let session = try Session(options)
            let host = session.host
            let ignored = host.execution.isSecure ? "secure-execution mode: \(host.execution.secureExecutionReason)" : nil
            var variables = ExecutionContext.loaderVariableDocs.map { EnvReport.Variable($0, driver: nil, ignoredBecause: ignored) }
            for driver in host.drivers {
                variables += driver.configVariables.map { EnvReport.Variable($0, driver: driver.name, ignoredBecause: nil) }
            }
            let report = EnvReport(variables: variables, drivers: host.drivers.map(\.name))
            try finish(report, command: "env", format: options.format, failure: host.drivers.isEmpty ? .noDrivers : nil) {
                for line in report.text { print(line) }
            }
        }
    }
}

/// The `env` document, and its text.
struct EnvReport: Encodable {
    /// One variable: who reads it, its value here, its default and what it does.
    struct Variable: Encodable {
        let name: String
        /// host (the driver host) or driver.
        let scope: String
        /// The driver that reads it; null for the host's.
        @Nullable var driver: String?
        /// True when this process's environment sets it.
        let set: Bool
        /// The value in this process's environment; null when unset.
        @Nullable var value: String?
        /// The value in effect when unset; null when computed at run time (see doc).
        @Nullable var defaultValue: String?
        let doc: String
        /// Why the host ignores it in this process (secure-execution mode); null when it does not.
        @Nullable var ignoredBecause: String?

        init(_ variable: DMAConfigVariable, driver: String?, ignoredBecause: String?) {
            name = variable.name
            scope = driver == nil ? "host" : "driver"
            self.driver = driver
            let current = getenv(variable.name).map { String(cString: $0) }
            set = current != nil
            value = current
            defaultValue = variable.defaultValue
            doc = variable.doc
            self.ignoredBecause = current == nil ? nil : ignoredBecause
        }
    }

    let variables: [Variable]
    /// The loaded drivers, also those that declare no variables.
    let drivers: [String]

    /// One section per reader: the host, then each driver.
    var text: [String] {
        var lines: [String] = []
        for reader in [nil] + drivers.map(Optional.some) {
            let own = variables.filter { $0.driver == reader }
            lines.append(reader.map { "Driver \($0) (\(own.count) variables)" } ?? "Host (\(own.count) variables)")
            if own.isEmpty { lines.append("  (declares none)") }
            for variable in own {
                let value = variable.value.map { "= '\($0)'" + (variable.ignoredBecause.map { " (ignored: \($0))" } ?? "") } ?? "(not set)"
                lines.append("  \(variable.name) \(value)")
                lines.append("      default: \(variable.defaultValue.map { "'\($0)'" } ?? "computed, see below")")
                lines.append("      \(variable.doc)")
            }
        }
        return lines
    }
}
