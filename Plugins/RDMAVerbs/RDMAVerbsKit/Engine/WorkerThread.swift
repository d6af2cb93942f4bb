import CDMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A POSIX thread running one closure (`pthread_create`), joined with ``join()``.
/// The closure is retained for exactly the life of the thread.
final class WorkerThread: @unchecked Sendable {
    // @unchecked Sendable: `thread` is written once in init and read by join(), which the
    // owner calls once, after init returned.

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, _ run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    private var thread = pthread_t()
    private var joined = false

    /// Starts a thread named `name` (as `top` and `gdb` show it; cut to 15 bytes) that runs `body`.
    /// - Throws: ``VerbsError`` (function "pthread_create") when the thread cannot be created.
    init(name: String, _ body: @escaping @Sendable () -> Void) throws(VerbsError) {
        let box = Unmanaged.passRetained(Body(name: name, body))
        let rc = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
            _ = body.name.withCString { dmasync_set_thread_name($0) }
            body.run()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw VerbsError(function: "pthread_create", errno: rc, context: "starting thread \(name)")
        }
    }

    /// Waits for the thread to end (`pthread_join`). Call once, never from the thread itself.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}
