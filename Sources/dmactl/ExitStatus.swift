import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// dmactl's exit statuses (also listed in `dmactl --help`).
enum ExitStatus: Int32 {
    /// Success.
    case ok = 0
    /// An operation failed, copied data did not match, or a device broke the completion
    /// contract (a completion called twice, after an error, or late).
    case failed = 1
    /// Bad command line.
    case usage = 2
    /// No device matches the selection.
    case noDevice = 3
    /// No driver could be loaded.
    case noDrivers = 4
    /// `doctor` found a problem (a rejected plugin, a failed check or a device that does not open).
    case problems = 5
    /// An operation did not complete within `--timeout` (`copy`, `bench`, `stress`): the device or its
    /// driver hung, or never called the completion.
    case timedOut = 6

    /// The status's name in JSON documents (`error.status`).
    var name: String {
        switch self {
        case .ok: "ok"
        case .failed: "failed"
        case .usage: "usage"
        case .noDevice: "noDevice"
        case .noDrivers: "noDrivers"
        case .problems: "problems"
        case .timedOut: "timedOut"
        }
    }

    /// The help text that documents the statuses.
    static let help = """
        Exit status: 0 success; 1 operation failed, data mismatch, or a device broke the completion contract; 2 usage error; \
        3 no such device; 4 no driver loaded; 5 doctor found problems; 6 an operation did not complete \
        within --timeout.
        """
}

/// A failure that ends dmactl with a given status after printing its message on stderr (and,
/// with `--format json`, as the `error` of the command's document on stdout).
struct Failure: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String
    /// True when the command already printed its JSON document with this failure as its
    /// `error`: only the stderr line is left to print.
    var reported = false

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The same failure, marked as part of a document already printed.
    var alreadyReported: Failure {
        var copy = self
        copy.reported = true
        return copy
    }

    /// Maps a DMAError: no such device → 3, invalid argument → 2, timed out (ETIMEDOUT) → 6,
    /// others → 1.
    init(_ error: DMAError, context: String) {
        let status: ExitStatus = switch error {
        case .noDevice: .noDevice
        case .invalidArgument: .usage
        case .system(let code, _) where code == ETIMEDOUT: .timedOut
        default: .failed
        }
        self.init(status, "\(context): \(error.message)")
    }

    var description: String { message }
}
