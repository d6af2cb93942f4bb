#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An error from DMAHost. Each case maps to one negative errno of the C ABI
/// (``negativeErrno``) and carries a message that says what happened and what to do.
public enum DMAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument was invalid (EINVAL): a NULL pointer, a zero size, a bad iovec.
    case invalidArgument(String)
    /// Memory could not be allocated (ENOMEM).
    case outOfMemory(String)
    /// The domain or device does not implement the operation (ENOTSUP).
    case notSupported(String)
    /// A queue is full; retry after completions were processed (EAGAIN).
    case tryAgain(String)
    /// No such device, domain or driver (ENODEV).
    case noDevice(String)
    /// The device reported an I/O error (EIO).
    case ioError(String)
    /// The operation was cancelled, e.g. its domain was destroyed (ECANCELED).
    case cancelled(String)
    /// Any other errno, positive value, with a message.
    case system(errno: Int32, String)

    /// Builds the error for a negative (or positive) errno returned by a C function.
    /// - Parameters:
    ///   - code: `-errno` as returned by an `spdk_memory_domain_*` function (the sign is ignored).
    ///   - context: What was being done, e.g. "pull from domain 'cpu:0'".
    public init(errno code: Int32, context: String) {
        let value = code < 0 ? -code : code
        let reason = String(cString: strerror(value))
        let message = "\(context): \(reason)"
        switch value {
        case EINVAL: self = .invalidArgument(message)
        case ENOMEM: self = .outOfMemory(message)
        case ENOTSUP: self = .notSupported(message)
        case EAGAIN: self = .tryAgain(message)
        case ENODEV: self = .noDevice(message)
        case EIO: self = .ioError(message)
        case ECANCELED: self = .cancelled(message)
        default: self = .system(errno: value, message)
        }
    }

    /// The errno this error stands for (positive).
    public var errno: Int32 {
        switch self {
        case .invalidArgument: EINVAL
        case .outOfMemory: ENOMEM
        case .notSupported: ENOTSUP
        case .tryAgain: EAGAIN
        case .noDevice: ENODEV
        case .ioError: EIO
        case .cancelled: ECANCELED
        case .system(let value, _): value
        }
    }

    /// The value the C ABI returns for this error: `-errno`.
    public var negativeErrno: Int32 { -errno }

    /// The message alone.
    public var message: String {
        switch self {
        case .invalidArgument(let m), .outOfMemory(let m), .notSupported(let m), .tryAgain(let m),
             .noDevice(let m), .ioError(let m), .cancelled(let m), .system(_, let m):
            m
        }
    }

    public var description: String { message }
}
