import DMASync

/// Threads that run beside the tasks of a command (so that a loop that never suspends does not
/// occupy the shared task pool), joined at the end.
final class BackgroundThreads: Sendable {
    private let threads = Locked<[POSIXThread]>([])

    init() {}

    /// Starts `body` on a new thread named `name` (``POSIXThread``).
    /// - Returns: False when the thread could not be created.
    @discardableResult
    func start(name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        guard let thread = try? POSIXThread(name: name, body) else { return false }
        threads.withLock { $0.append(thread) }
        return true
    }

    /// Waits for every thread started so far; the bodies must be ending.
    func joinAll() {
        let started = threads.withLock { threads in
            defer { threads.removeAll() }
            return threads
        }
        for thread in started { thread.join() }
    }
}
