import DMAHost

/// dmactl's exit statuses (also listed in `dmactl --help`).
enum ExitStatus: Int32 {
    /// Success.
    case ok = 0
    /// An operation failed, or copied data did not match.
    case failed = 1
    /// Bad command line.
    case usage = 2
    /// No device matches the selection.
    case noDevice = 3
    /// No driver could be loaded.
    case noDrivers = 4
    /// `doctor` found a problem (a rejected plugin, a failed check or a device that does not open).
    case problems = 5

    /// The help text that documents the statuses.
    static let help = """
        Exit status: 0 success; 1 operation failed or data mismatch; 2 usage error; \
        3 no such device; 4 no driver loaded; 5 doctor found problems.
        """
}

/// A failure that ends dmactl with a given status after printing its message on stderr.
struct Failure: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Maps a DMAError: no such device → 3, invalid argument → 2, others → 1.
    init(_ error: DMAError, context: String) {
        let status: ExitStatus = switch error {
        case .noDevice: .noDevice
        case .invalidArgument: .usage
        default: .failed
        }
        self.init(status, "\(context): \(error.message)")
    }

    var description: String { message }
}
