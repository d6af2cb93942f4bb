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
