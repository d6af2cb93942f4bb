import CDMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts and joins the POSIX threads that run ``EngineCore/workerLoop()``.
enum WorkerThreads {
    /// What a new thread receives: the core (retained for the thread's lifetime) and its index.
    private final class Start {
        let core: EngineCore
        let index: Int
        init(core: EngineCore, index: Int) {
            self.core = core
            self.index = index
        }
    }

    /// Starts `count` workers (`pthread_create`), named "dma-cpu-w<index>".
    /// - Returns: The thread handles.
    /// - Throws: The errno of the first `pthread_create` that failed, after stopping the
    ///   threads already started is left to the caller (they exit once the core is stopping).
    static func start(_ count: Int, core: EngineCore) -> Result<[pthread_t], CreateError> {
        var threads: [pthread_t] = []
        threads.reserveCapacity(count)
        for index in 0..<count {
            let start = Unmanaged.passRetained(Start(core: core, index: index))
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { argument in
                guard let argument else { return nil }
                let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
                _ = "dma-cpu-w\(start.index)".withCString { dmasync_set_thread_name($0) }
                start.core.workerLoop()
                return nil
            }, start.toOpaque())
            if rc != 0 {
                start.release()
                return .failure(CreateError(errno: rc, started: threads))
            }
            threads.append(thread)
        }
        return .success(threads)
    }

    /// A `pthread_create` failure and the threads started before it.
    struct CreateError: Error {
        let errno: Int32
        let started: [pthread_t]
    }

    /// Waits for each thread to exit (`pthread_join`).
    static func join(_ threads: [pthread_t]) {
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Lets each thread exit on its own (`pthread_detach`).
    static func detach(_ threads: [pthread_t]) {
        for thread in threads { pthread_detach(thread) }
    }

    /// True when the calling thread is one of `threads`.
    static func contains(_ threads: [pthread_t], thread: pthread_t = pthread_self()) -> Bool {
        threads.contains { pthread_equal($0, thread) != 0 }
    }
}
