import CDMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A named POSIX thread running one closure: the one way the host, the tools and the plugins
/// start a thread of their own.
///
/// A dedicated thread, rather than a task or a dispatch queue, is for work that blocks or never
/// suspends (a worker loop, a completion poller, a timer): it must not hold a thread of a shared
/// pool, and whoever stops it can know that it has stopped running, which ``join()`` proves.
///
/// ```swift
/// let thread = try POSIXThread(name: "rdma-\(device)") { completionLoop() }
/// ...
/// thread.join()
/// ```
///
/// - The closure is retained for exactly the life of the thread and runs once.
/// - The thread is named (`pthread_setname_np`) before the closure runs, as `top -H`, `ps -L`,
///   `gdb` and `perf` show it; the kernel keeps at most 15 bytes of a name.
/// - ``join()`` waits for the end of the thread, ``detach()`` lets it end on its own. Only the first
///   of these calls acts; a thread neither joined nor detached when its last reference goes away is
///   detached then, so its resources are never leaked.
///
/// Starting a thread allocates and calls into the kernel: do it when a device or an engine starts,
/// never per operation.
public final class POSIXThread: Sendable {
    /// The name asked for (the kernel shows its first 15 bytes).
    public let name: String
    private let handle: pthread_t
    private let disposition = Locked(Disposition.joinable)

    private enum Disposition {
        case joinable, joined, detached
    }

    /// What the new thread receives: its name and its closure, retained until the thread ends.
    private final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts a thread (`pthread_create`, default attributes) that names itself `name` and runs `body`.
    /// - Parameters:
    ///   - name: The thread's name, e.g. "dma-cpu-w3"; bytes past the 15th are dropped (an empty
    ///     name keeps the name the thread inherits).
    ///   - body: What the thread runs; the thread ends when it returns.
    /// - Throws: ``ThreadStartError`` with the errno of `pthread_create` (then `body` never runs).
    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(ThreadStartError) {
        let start = Unmanaged.passRetained(Start(name: name, body: body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
            if !start.name.isEmpty { _ = start.name.withCString { dmasync_set_thread_name($0) } }
            start.body()
            return nil
        }, start.toOpaque())
        guard rc == 0 else {
            start.release()
            throw ThreadStartError(name: name, errno: rc)
        }
        self.name = name
        handle = thread
    }

    deinit {
        // Nobody waits for it any more: let it end on its own.
        if disposition.withLock({ $0 }) == .joinable { pthread_detach(handle) }
    }

    /// True when the caller runs on this thread.
    public var isCurrent: Bool { pthread_equal(handle, pthread_self()) != 0 }

    /// Waits for the thread to end (`pthread_join`).
    ///
    /// Only the first call of ``join()`` or ``detach()`` acts: later ones, and calls made while
    /// another thread joins, return at once. Called on the thread itself, which cannot wait for its
    /// own end, it detaches the thread instead.
    public func join() {
        if isCurrent {
            detach()
            return
        }
        let wait = disposition.withLock { state in
            guard state == .joinable else { return false }
            state = .joined
            return true
        }
        if wait { pthread_join(handle, nil) }
    }

    /// Lets the thread end on its own (`pthread_detach`): nobody waits for it, and its resources
    /// are freed when it ends. Does nothing once the thread was joined or detached.
    public func detach() {
        let detach = disposition.withLock { state in
            guard state == .joinable else { return false }
            state = .detached
            return true
        }
        if detach { pthread_detach(handle) }
    }
}
