import DMASync

/// Starts and stops the threads that run ``EngineCore/workerLoop()``.
enum WorkerThreads {
    /// Starts `count` workers named "dma-cpu-w<index>", each keeping `core` alive until it ends.
    /// - Returns: The threads, or the failure and the threads started before it (which exit
    ///   once the core is stopping; the caller stops it and joins them).
    static func start(_ count: Int, core: EngineCore) -> Result<[POSIXThread], CreateError> {
        var threads: [POSIXThread] = []
        threads.reserveCapacity(count)
        for index in 0..<count {
            do throws(ThreadStartError) {
                threads.append(try POSIXThread(name: "dma-cpu-w\(index)") { core.workerLoop() })
            } catch {
                return .failure(CreateError(cause: error, started: threads))
            }
        }
        return .success(threads)
    }

    /// A thread that could not be created and the threads started before it.
    struct CreateError: Error {
        let cause: ThreadStartError
        let started: [POSIXThread]

        /// The errno of `pthread_create`.
        var errno: Int32 { cause.errno }
    }

    /// Waits for each thread to end.
    static func join(_ threads: [POSIXThread]) {
        for thread in threads { thread.join() }
    }

    /// Lets each thread end on its own.
    static func detach(_ threads: [POSIXThread]) {
        for thread in threads { thread.detach() }
    }

    /// True when the calling thread is one of `threads`.
    static func contains(_ threads: [POSIXThread]) -> Bool {
        threads.contains { $0.isCurrent }
    }
}
