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
    /// The destination scatter-gather list holds fewer bytes than the source. `-EINVAL`.
    case destinationTooSmall
    /// A NULL array with a non-zero count, a NULL buffer with a non-zero length, a length
    /// total that overflows, or a missing callback. `-EINVAL`.
    case invalidArgument
    /// The engine is shutting down or shut down. `-ECANCELED`.
    case stopped

    /// The errno this stands for (positive).
    public var errno: Int32 {
        switch self {
        case .queueFull: EAGAIN
        case .destinationTooSmall, .invalidArgument: EINVAL
        case .stopped: ECANCELED
        }
    }

    /// The value to return at the C boundary: `-errno`.
    public var negativeErrno: Int32 { -errno }

    /// The matching ``DMAError`` with a message that says what to do.
    public var dmaError: DMAError {
        switch self {
        case .queueFull:
            .tryAgain("CPU copy engine queue is full: wait for (or poll) completions and retry, or configure a deeper queue")
        case .destinationTooSmall:
            .invalidArgument("destination scatter-gather list is shorter than the source: give at least as many destination bytes")
        case .invalidArgument:
            .invalidArgument("invalid scatter-gather list or callback: NULL array with a non-zero count, NULL buffer with a non-zero length, lengths that overflow, or no completion callback")
        case .stopped:
            .cancelled("CPU copy engine is shut down: open the device again")
        }
    }
}
