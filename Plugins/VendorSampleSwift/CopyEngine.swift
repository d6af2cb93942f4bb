import CDMAHostABI
import DMADriverKit
import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A memory-to-memory copy engine: one worker thread executing requests from a bounded FIFO
/// queue and calling each request's completion exactly once, from the worker.
///
/// Submitting to a full queue fails with `-EAGAIN` (retry after completions); submitting to a
/// stopped engine fails with `-ECANCELED`. ``stop()`` lets the worker finish every queued
/// request before it returns.
final class CopyEngine: @unchecked Sendable {
    // @unchecked Sendable: every mutable field (queue, head, count, running, stopping, worker)
    // is read and written with `mutex` held; the mutex and condition live at fixed heap
    // addresses (pthread objects must not move) for the engine's whole life.

    /// Requests held at most (queued plus executing).
    static let queueDepth = 64

    /// One request; `source` is nil for a fill with zeroes.
    struct Request {
        var destination: [iovec]
        var source: [iovec]?
        var completion: spdk_memory_domain_data_cpl_cb
        var argument: UnsafeMutableRawPointer?
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [Request?] = Array(repeating: nil, count: CopyEngine.queueDepth)
    private var head = 0, count = 0
    private var running = false, stopping = false
    private var worker: POSIXThread?
    private(set) var completed: UInt64 = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws(DMAError) -> T) throws(DMAError) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Starts the worker thread (no-op when running).
    /// - Throws: ``DMAError`` with the `pthread_create` error (``POSIXThread``).
    func start() throws(DMAError) {
        try locked { () throws(DMAError) in
            guard !running else { return }
            head = 0
            count = 0
            stopping = false
            do throws(ThreadStartError) {
                // The thread keeps the engine alive until its loop returns.
                worker = try POSIXThread(name: "vendor-swift") { [self] in workerLoop() }
            } catch {
                throw DMAError(errno: error.errno, context: "start the copy engine's worker thread")
            }
            running = true
        }
    }

    /// Stops accepting requests, lets the worker finish the queued ones, and joins it.
    /// Must not be called from a completion callback.
    func stop() {
        pthread_mutex_lock(mutex)
        guard running, !stopping else {
            pthread_mutex_unlock(mutex)
            return
        }
        stopping = true
        let thread = worker
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
        thread?.join()
        pthread_mutex_lock(mutex)
        worker = nil
        running = false
        stopping = false
        pthread_mutex_unlock(mutex)
    }

    /// Queues a checked copy (the segmentations of its lists may differ; both hold
    /// `copy.length` bytes). The arrays are copied; the buffers must stay valid until the
    /// completion runs.
    /// - Returns: 0, or `-EAGAIN` (queue full), `-ECANCELED` (stopped).
    func submit(_ copy: CheckedCopy, argument: UnsafeMutableRawPointer?) -> Int32 {
        let request = Request(destination: Array(copy.destinationEntries), source: Array(copy.sourceEntries),
                              completion: copy.completion, argument: argument)
        return enqueue(request)
    }

    /// Queues filling a checked list with zeroes. Same contract as ``submit(_:argument:)``.
    func submit(_ fill: CheckedFill, argument: UnsafeMutableRawPointer?) -> Int32 {
        let request = Request(destination: Array(fill.entries), source: nil, completion: fill.completion, argument: argument)
        return enqueue(request)
    }

    private func enqueue(_ request: Request) -> Int32 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard running, !stopping else { return -ECANCELED }
        guard count < Self.queueDepth else { return -EAGAIN }
        queue[(head + count) % Self.queueDepth] = request
        count += 1
        pthread_cond_signal(wake)
        return 0
    }

    private func workerLoop() {
        pthread_mutex_lock(mutex)
        while true {
            while count == 0 && !stopping { pthread_cond_wait(wake, mutex) }
            guard count > 0, let request = queue[head] else { break }
            pthread_mutex_unlock(mutex)

            if let source = request.source {
                Segments.copy(from: source, to: request.destination)
            } else {
                for buffer in request.destination where buffer.iov_len > 0 { memset(buffer.iov_base, 0, buffer.iov_len) }
            }

            pthread_mutex_lock(mutex)
            queue[head] = nil
            head = (head + 1) % Self.queueDepth
            count -= 1
            completed += 1
            pthread_mutex_unlock(mutex)
            // Outside the lock: the callback may submit the next request.
            request.completion(request.argument, 0)
            pthread_mutex_lock(mutex)
        }
        pthread_mutex_unlock(mutex)
    }
}
