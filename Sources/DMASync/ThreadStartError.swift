#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A thread could not be started: `pthread_create` failed (``POSIXThread/init(name:_:)``).
public struct ThreadStartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name of the thread that was to be started.
    public let name: String
    /// The error `pthread_create` returned (EAGAIN: out of threads or memory for a stack).
    public let errno: Int32

    /// The failure of `pthread_create` with `errno` for the thread `name`.
    public init(name: String, errno: Int32) {
        self.name = name
        self.errno = errno
    }

    /// What to do about it, when the errno tells.
    public var advice: String? {
        switch errno {
        case EAGAIN:
            "the process or the system has no thread or stack memory left: start fewer threads, or raise the limits (ulimit -u, the cgroup's pids.max, /proc/sys/kernel/threads-max)"
        default:
            nil
        }
    }

    /// "cannot start thread "name": pthread_create failed with errno 11 (Resource temporarily
    /// unavailable); <advice>".
    public var description: String {
        let reason = "cannot start thread \"\(name)\": pthread_create failed with errno \(errno) (\(String(cString: strerror(errno))))"
        return advice.map { "\(reason); \($0)" } ?? reason
    }
}
