import ArgumentParser
import DMAHost
import DriverHost
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
            the directory of dmactl itself, its dmahost/ subdirectory and ../lib/dmahost relative to it (the \
            installed layout; files named libdmahost-*.so). A plugin, its directory \
            and every directory above must be owned by root or you and not writable by group or \
            others (DMAHOST_ALLOW_INSECURE_PLUGINS=1 waives that during development). A \
            set-user-ID or set-group-ID dmactl ignores the environment and refuses --driver-dir \
            unless run by root. `dmactl env` lists every variable the host and its plugins read.

            Device selections: comma-separated ids (cpu:0), driver prefixes (rdma:, vendor:), \
            globs (cpu:*) and exclusions (^cpu:1); 'system' is the system domain. copy and bench \
            also take a domain id as `list` prints it (dmabuf:udmabuf).

            Sizes: \(ByteSizeArgument.help)

            --format json prints one JSON object on stdout, errors included (schema_version 1; \
            keys and meaning in docs/dmactl-json.md).

            \(ExitStatus.help)
            """,
        subcommands: [List.self, Info.self, Env.self, Doctor.self, Copy.self, Bench.self, Stress.self, Serve.self, IsolatedCheck.self]
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the versions of dmactl, the DMAHost library and the plugin ABI, and exit.")
    var version = false

    func run() async throws {
        guard version else { throw CleanExit.helpRequest(self) }
        let report = VersionReport()
        if global.format == .json {
            JSONOutput.emit(report, command: "version")
        } else {
            print(report.text)
        }
    }

    /// Parses, runs, and exits with the documented statuses (usage errors: 2, not 64). With
    /// `--format json`, every failure is also a JSON document on stdout (unless the command
    /// already printed its document with the failure in it).
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
            if OutputRequest.current.json && !failure.reported {
                JSONOutput.emitError(failure, command: OutputRequest.current.command)
            }
            terminate(failure.status.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            printError(fullMessage(for: error))
            let status: ExitStatus = code == .validationFailure ? .usage : ExitStatus(rawValue: code.rawValue) ?? .failed
            if OutputRequest.current.json {
                JSONOutput.emitError(Failure(status, message(for: error)), command: OutputRequest.current.command)
            }
            terminate(status.rawValue)
        }
    }
}

/// What the command line asks for, read from the raw arguments: known even when parsing fails,
/// so that a usage error can still be a JSON document.
struct OutputRequest: Sendable {
    /// True when `--format json` (or `--format=json`) is given.
    let json: Bool
    /// The subcommand named ("list", "copy", …), or "dmactl" when none is.
    let command: String

    /// The request of this process's command line.
    static let current = OutputRequest(arguments: Array(CommandLine.arguments.dropFirst()))

    init(arguments: [String]) {
        let words = arguments.prefix { $0 != "--" }
        json = words.contains("--format=json") || zip(words, words.dropFirst()).contains { $0 == "--format" && $1 == "json" }
        let names = DMACtl.configuration.subcommands.map { $0._commandName }
        command = words.first { names.contains($0) } ?? (words.contains("--version") ? "version" : "dmactl")
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
