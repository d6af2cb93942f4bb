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

    /// Largest errno value Linux defines room for (`MAX_ERRNO` of the kernel): a status is a
    /// negated errno only when it lies in `-maximumErrno ... -1`.
    public static let maximumErrno: Int32 = 4095

    /// Builds the error for a negative (or positive) errno returned by a C function.
    ///
    /// Total: every `Int32` gives an error, none traps. `code` and `-code` give the same error
    /// when `code` is an errno (`1 ... maximumErrno`); any other value (0, `Int32.min`, a
    /// magnitude above ``maximumErrno``) is not an errno and becomes ``ioError(_:)`` whose
    /// message quotes the value.
    /// - Parameters:
    ///   - code: `-errno` as returned by an `spdk_memory_domain_*` function (the sign is ignored).
    ///   - context: What was being done, e.g. "pull from domain 'cpu:0'".
    public init(errno code: Int32, context: String) {
        guard let value = Self.errnoValue(code) else {
            self = .ioError("\(context): status \(code) is not a negated errno (expected -\(Self.maximumErrno)...-1); reported as EIO")
            return
        }
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

    /// The errno `code` stands for, sign ignored, or nil when `code` is 0 or its magnitude is
    /// not `1 ... maximumErrno` (`Int32.min` included: its magnitude does not fit an `Int32`).
    static func errnoValue(_ code: Int32) -> Int32? {
        let magnitude = code.magnitude
        guard magnitude >= 1, magnitude <= UInt32(maximumErrno) else { return nil }
        return Int32(magnitude)
    }

    /// The errno this error stands for (positive, `1 ... maximumErrno`). A ``system(errno:_:)``
    /// built with a value that is no errno (0, `Int32.min`, out of range) stands for EIO.
    public var errno: Int32 {
        switch self {
        case .invalidArgument: EINVAL
        case .outOfMemory: ENOMEM
        case .notSupported: ENOTSUP
        case .tryAgain: EAGAIN
        case .noDevice: ENODEV
        case .ioError: EIO
        case .cancelled: ECANCELED
        case .system(let value, _): Self.errnoValue(value) ?? EIO
        }
    }

    /// The value the C ABI returns for this error: `-errno`, always in `-maximumErrno ... -1`.
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
