import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed libibverbs call (or one of the few libc calls of the verbs layer): which function,
/// the errno it reported and what was being done.
public struct VerbsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The C function that failed, e.g. "ibv_reg_mr".
    public let function: String
    /// The positive errno value.
    public let errno: Int32
    /// What was being done, e.g. "registering 0x7f00..<0x7f10 on rxe0".
    public let context: String

    /// Creates an error.
    public init(function: String, errno: Int32, context: String) {
        self.function = function
        self.errno = errno
        self.context = context
    }

    /// A remedy for the errors people commonly meet, or "".
    var hint: String {
        switch (function, errno) {
        case ("ibv_reg_mr", ENOMEM), ("ibv_reg_dmabuf_mr", ENOMEM):
            "; the locked-memory limit may be too low: raise RLIMIT_MEMLOCK (ulimit -l) or run with CAP_IPC_LOCK"
        case ("ibv_open_device", EACCES), ("ibv_open_device", EPERM):
            "; check the permissions of /dev/infiniband/uverbs*"
        case ("ibv_get_device_list", ENOSYS):
            "; the kernel has no RDMA verbs support: load ib_uverbs and a device driver (e.g. rdma_rxe)"
        default:
            ""
        }
    }

    public var description: String {
        "\(function) failed while \(context): \(String(cString: strerror(errno))) (errno \(errno))\(hint)"
    }

    /// The same failure as a ``DMAError`` (same errno, the message of ``description``).
    public var dmaError: DMAError {
        switch DMAError(errno: errno, context: "") {
        case .invalidArgument: .invalidArgument(description)
        case .outOfMemory: .outOfMemory(description)
        case .notSupported: .notSupported(description)
        case .tryAgain: .tryAgain(description)
        case .noDevice: .noDevice(description)
        case .ioError: .ioError(description)
        case .cancelled: .cancelled(description)
        case .system: .system(errno: errno, description)
        }
    }
}
