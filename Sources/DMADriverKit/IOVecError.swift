import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why arguments broke the contract of `dmahost/iovec.h` (see ``IOVecContract``).
///
/// Payload-free, so that throwing it on the data path allocates nothing; ``dmaError(_:)``
/// gives the message for users.
public enum IOVecError: Error, Equatable, Sendable {
    /// `-EINVAL`: a NULL completion, a NULL array with entries, an entry longer than SSIZE_MAX,
    /// a total above SSIZE_MAX, a list of 0 bytes, two sides of different totals; for translate,
    /// a NULL or too small result or a length of 0.
    case invalidArgument
    /// `-EFAULT`: an entry (or translated buffer) with a length and a NULL base, or whose range
    /// wraps past the end of the address space.
    case badAddress

    /// The error for a negated errno returned by a check of `dmahost/iovec.h`: `-EFAULT` is
    /// ``badAddress``, anything else ``invalidArgument``.
    @inlinable
    public init(negativeErrno: Int32) {
        self = negativeErrno == -EFAULT ? .badAddress : .invalidArgument
    }

    /// The errno this stands for (positive).
    @inlinable
    public var errno: Int32 {
        switch self {
        case .invalidArgument: EINVAL
        case .badAddress: EFAULT
        }
    }

    /// The value a callback returns: `-errno`.
    @inlinable
    public var negativeErrno: Int32 { -errno }

    /// The matching ``DMAError``, with a message that says what the contract requires.
    /// - Parameter what: The operation, e.g. "push into cpu:0".
    public func dmaError(_ what: String) -> DMAError {
        switch self {
        case .invalidArgument:
            .invalidArgument("\(what): the iovec lists break the contract of dmahost/iovec.h: each list needs a non-NULL array, entries of at most SSIZE_MAX bytes, a total of 1 ... SSIZE_MAX bytes, and both sides the same total; and a completion callback")
        case .badAddress:
            .system(errno: EFAULT, "\(what): an iovec entry has a length and a NULL base, or its range wraps past the end of the address space (dmahost/iovec.h)")
        }
    }
}
