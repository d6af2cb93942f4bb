import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why an operation was not accepted. When a submit call throws, the operation's completion
/// callback is never invoked.
///
/// A payload-free enum, so that throwing it (notably ``queueFull`` under back-pressure)
/// allocates nothing; ``dmaError`` gives the message for users.
public enum SubmitError: Error, Equatable, Sendable {
    /// No free descriptor: reap completions (``CopyEngine/poll(maxCompletions:)`` in poll
    /// mode) or wait for some, then retry. `-EAGAIN` at the C boundary.
    case queueFull
    /// The lists or the callback break the contract of `dmahost/iovec.h` with `-EINVAL`: a
    /// missing callback, a NULL array with a non-zero count, an entry or total above SSIZE_MAX,
    /// a list of 0 bytes, or source and destination totals that differ (also a count outside
    /// `0 ... UInt32.max`).
    case invalidArgument
    /// The lists break the contract of `dmahost/iovec.h` with `-EFAULT`: an entry with a length
    /// and a NULL base, or whose range wraps past the end of the address space.
    case badAddress
    /// The engine is shutting down or shut down. `-ECANCELED`.
    case stopped

    /// The errno this stands for (positive).
    public var errno: Int32 {
        switch self {
        case .queueFull: EAGAIN
        case .invalidArgument: EINVAL
        case .badAddress: EFAULT
        case .stopped: ECANCELED
        }
    }

    /// The refusal of a check of ``IOVecContract``.
    @inlinable
    public init(_ error: IOVecError) {
        switch error {
        case .invalidArgument: self = .invalidArgument
        case .badAddress: self = .badAddress
        }
    }

    /// The value to return at the C boundary: `-errno`.
    public var negativeErrno: Int32 { -errno }

    /// The matching ``DMAError`` with a message that says what to do.
    public var dmaError: DMAError {
        switch self {
        case .queueFull:
            .tryAgain("CPU copy engine queue is full: wait for (or poll) completions and retry, or configure a deeper queue")
        case .invalidArgument:
            IOVecError.invalidArgument.dmaError("CPU copy engine")
        case .badAddress:
            IOVecError.badAddress.dmaError("CPU copy engine")
        case .stopped:
            .cancelled("CPU copy engine is shut down: open the device again")
        }
    }
}
