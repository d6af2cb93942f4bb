import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// POSIX threads that run beside the tasks of a command (so that a loop that never suspends
/// does not occupy the shared task pool), joined at the end.
final class BackgroundThreads: Sendable {
    private let threads = Locked<[pthread_t]>([])

    /// The body and its start argument, retained until the thread takes it.
    private final class Start: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    init() {}

    /// Starts `body` on a new thread (`pthread_create`).
    /// - Returns: False when the thread could not be created.
    @discardableResult
    func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        var thread = pthread_t()
        let start = Unmanaged.passRetained(Start(body))
        let rc = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Start>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, start.toOpaque())
        guard rc == 0 else {
            start.release()
            return false
        }
        threads.withLock { $0.append(thread) }
        return true
    }

    /// Waits for every thread started so far (`pthread_join`); the bodies must be ending.
    func joinAll() {
        let started = threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in started { pthread_join(thread, nil) }
    }
}
