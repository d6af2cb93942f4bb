import ArgumentParser
import DMAHost
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The dmactl command: drivers, devices and memory domains of DMAHost.
@main
struct DMACtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmactl",
        abstract: "List, diagnose and exercise DMAHost drivers, devices and memory domains.",
        discussion: """
            Plugins are searched in: --driver-dir (files or directories, repeatable), then \
            DMAHOST_DRIVER_PATH (colon-separated absolute paths of files or directories), then \
            the directory of dmactl itself (files named libdmahost-*.so). A plugin, its directory \
            and every directory above must be owned by root or you and not writable by group or \
            others (DMAHOST_ALLOW_INSECURE_PLUGINS=1 waives that during development). A \
            set-user-ID or set-group-ID dmactl ignores the environment and refuses --driver-dir \
            unless run by root.

            Device selections: comma-separated ids (cpu:0), driver prefixes (rdma:, vendor:), \
            globs (cpu:*) and exclusions (^cpu:1); 'system' is the system domain.

            \(ExitStatus.help)
            """,
        subcommands: [List.self, Doctor.self, Copy.self, Bench.self, Stress.self, IsolatedCheck.self]
    )

    @OptionGroup var global: GlobalOptions

    /// Parses, runs, and exits with the documented statuses (usage errors: 2, not 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            printError("dmactl: \(failure.message)")
            terminate(failure.status.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            printError(fullMessage(for: error))
            terminate(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}

/// Ends the process with `status` (libc `exit`, which flushes standard output).
func terminate(_ status: Int32) -> Never {
    exit(status)
}

/// Writes a line to standard error.
func printError(_ line: String) {
    let text = line + "\n"
    text.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
}
