import ArgumentParser
import DMAHost
import DriverHost
import Logging

/// Output format of every subcommand.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// Options every subcommand accepts (before or after the subcommand name).
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("driver-dir"),
            help: ArgumentHelp("Load plugins from this file or directory first (repeatable; refused in a set-user-ID "
                               + "or set-group-ID dmactl unless run by root).", valueName: "path"),
            completion: .file(extensions: ["so"]))
    var driverDirectories: [String] = []

    @Flag(name: .customLong("no-default-drivers"),
          help: "Load only --driver-dir plugins: ignore DMAHOST_DRIVER_PATH and the installed directory.")
    var noDefaultDrivers = false

    @Option(name: .long, help: "Output format: text or json (one JSON object).")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Log plugin and loader messages at debug level on stderr.")
    var verbose = false

    @Option(name: .customLong("ucx-peer"),
            help: ArgumentHelp("A UCX server to reach as device ucx:HOST:PORT (repeatable; added to DMAHOST_UCX_PEERS "
                               + "before the plugins load). A server: dmactl serve.", valueName: "host:port"))
    var ucxPeers: [String] = []

    /// The plugin search these options describe, for a process in `execution`.
    func search(in execution: ExecutionContext) -> DriverSearch {
        noDefaultDrivers ? DriverSearch(explicit: driverDirectories)
                         : DriverSearch.standard(explicit: driverDirectories, execution: execution)
    }

    /// Merges options given before the subcommand (`parent`) with those after it (`self`).
    /// The parser may hand the same option to both groups, so repeated paths count once.
    func merged(with parent: GlobalOptions) -> GlobalOptions {
        var result = self
        var seen = Set<String>()
        result.driverDirectories = (parent.driverDirectories + driverDirectories).filter { seen.insert($0).inserted }
        result.noDefaultDrivers = noDefaultDrivers || parent.noDefaultDrivers
        if format == .text { result.format = parent.format }
        result.verbose = verbose || parent.verbose
        var peers = Set<String>()
        result.ucxPeers = (parent.ucxPeers + ucxPeers).filter { peers.insert($0).inserted }
        return result
    }
}

/// A loaded host and what loading it took.
struct Session {
    let host: DriverHost
    let search: DriverSearch
    let outcomes: [LoadOutcome]
    /// Wall time of the whole load (search, every candidate's load and probe).
    let loadWallTime: Duration

    /// Sets up logging and loads the plugins the options describe.
    /// - Throws: a usage failure when `--driver-dir` is given to a process in secure-execution
    ///   mode (set-user-ID or set-group-ID) whose real user is not root.
    init(_ options: GlobalOptions) throws(Failure) {
        let level: Logger.Level = options.verbose ? .debug : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        host = DriverHost(logger: Logger(label: "dmactl"))
        if !options.driverDirectories.isEmpty, let refusal = host.execution.pluginPathRefusal {
            throw Failure(.usage, "--driver-dir \(options.driverDirectories.joined(separator: ", ")): \(refusal)")
        }
        search = options.search(in: host.execution)
        UCXPeers.export(options.ucxPeers)
        let start = ContinuousClock.now
        outcomes = host.load(search)
        loadWallTime = start.duration(to: .now)
    }
}
