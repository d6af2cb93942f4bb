#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a registration function failed: the errno it reported and a message for people.
public struct RegistrationFailure: Error, Equatable, Sendable {
    /// The positive errno value (for example ENOMEM, EFAULT, EOPNOTSUPP).
    public var errno: Int32
    /// What failed, e.g. "ibv_reg_mr of 0x7f00..<0x7f10 in pd 0x55...: Cannot allocate memory".
    public var message: String

    /// Creates a failure.
    public init(errno: Int32, message: String) {
        self.errno = errno
        self.message = message
    }
}

/// An error of ``RegistrationCache``.
public enum RegistrationCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The buffer is empty or wraps around the address space.
    case invalidRange(address: UInt, length: UInt)
    /// The buffer alone is larger than the cache limit; it can never be registered.
    case tooLarge(requested: UInt, limit: UInt)
    /// Registering would exceed the limit and every region is in use or pinned; retry after
    /// operations completed or translations were invalidated.
    case limitReached(registered: UInt, requested: UInt, limit: UInt)
    /// Registering would exceed the limit of regions and every region is in use or pinned.
    case regionLimitReached(limit: Int)
    /// The injected registration function failed.
    case registrationFailed(RegistrationFailure)

    /// The errno the C ABI reports for this error (positive).
    public var errno: Int32 {
        switch self {
        case .invalidRange: EINVAL
        case .tooLarge: ENOMEM
        case .limitReached, .regionLimitReached: EAGAIN
        case .registrationFailed(let failure): failure.errno
        }
    }

    public var description: String {
        switch self {
        case .invalidRange(let address, let length):
            "cannot register \(length) bytes at 0x\(String(address, radix: 16)): empty or wrapping range"
        case .tooLarge(let requested, let limit):
            "cannot register \(requested) bytes: the registration cache is limited to \(limit) bytes; raise the limit or use smaller buffers"
        case .limitReached(let registered, let requested, let limit):
            "registration cache full (\(registered) of \(limit) bytes registered, all in use or pinned, \(requested) more needed); retry after operations complete or invalidate translations"
        case .regionLimitReached(let limit):
            "registration cache full (\(limit) regions registered, all in use or pinned); retry after operations complete or invalidate translations"
        case .registrationFailed(let failure):
            failure.message
        }
    }
}
