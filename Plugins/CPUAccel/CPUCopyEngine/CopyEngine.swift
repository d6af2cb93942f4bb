import DMASync
import DMADriverKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An asynchronous memory copy engine running on CPU worker threads: the software data path of
/// the CPU accel backend.
///
/// - Operations: copies (scatter-gather on both sides, independently segmented) and fills
///   (memset; pattern 0 is memzero), of lists that passed the contract of `dmahost/iovec.h`
///   (``submit(_:argument:)``, ``submit(_:pattern:argument:)``; or
///   ``submitCopy(destination:destinationCount:source:sourceCount:callback:argument:)`` and
///   ``submitFill(destination:destinationCount:pattern:callback:argument:)``, which check it).
/// - Back-pressure: a bounded, preallocated descriptor ring; when it is full a submission
///   throws ``SubmitError/queueFull`` and nothing is queued. No allocation per operation.
/// - Batching: a worker claims up to ``CopyEngineConfiguration/batchLimit`` descriptors (at
///   most ``CopyEngineConfiguration/batchBytes``, at most a fair share of what is published)
///   with one atomic operation.
/// - Large operations are split into parts run by several workers; the callback fires once,
///   after the last part, with the first error of any part.
/// - Completions: exactly once per accepted operation, on a worker or from ``poll(maxCompletions:)``
///   (``CompletionMode``).
/// - Shutdown: ``shutdown(_:)`` completes every accepted operation, normally or with
///   `-ECANCELED`, before it returns; later submissions throw ``SubmitError/stopped``.
///
/// The `iovec` arrays and the buffers they describe must stay valid and unchanged until the
/// operation's callback ran. Submission, polling and shutdown may be called from any thread.
public final class CopyEngine: @unchecked Sendable {
    // @unchecked Sendable: `core` is immutable and thread-safe; the shutdown state is an Atomic
    // and the thread list is guarded by `lifecycle`.

    /// What ``shutdown(_:)`` does with operations not yet run.
    public enum ShutdownMode: Sendable {
        /// Run every accepted operation, then stop.
        case drain
        /// Complete operations no worker has started with `-ECANCELED`; parts already running finish.
        case cancel
    }

    private let core: EngineCore
    /// Serialises shutdown; holds the worker threads until they are joined.
    private let lifecycle: Locked<[POSIXThread]>
    /// Where the engine is in its life. The thread that moves it to stopping (with `lifecycle`
    /// locked, so only one does) is the one that later moves it to stopped.
    private let state = Atomic<EngineState>(.running)
    /// The thread delivering the last completions during a poll-mode shutdown (0: none).
    private let drainingThread = Atomic<UInt>(0)

    /// The configuration the engine runs with.
    public var configuration: CopyEngineConfiguration { core.configuration }

    /// The non-temporal store kernel this CPU runs when destinations bypass the caches
    /// (``CacheControl``): "avx512", "avx2", "sse2", or "memcpy" when it has none.
    public static var streamingKernelName: String { CopyKernels.detectedKernelName }

    /// How copies through the caches run on this CPU: "rep movsb" where the CPU reports fast
    /// short `rep movsb` (FSRM), else "memcpy".
    public static var cachedCopyName: String { CopyKernels.cachedCopyName }

    /// Starts the worker threads.
    /// - Throws: ``DMAError/invalidArgument(_:)`` for a bad configuration;
    ///   ``DMAError/system(errno:_:)`` when a thread cannot be created.
    public init(configuration: CopyEngineConfiguration = CopyEngineConfiguration()) throws(DMAError) {
        let checked = try configuration.validated()
        let core = EngineCore(configuration: checked)
        switch WorkerThreads.start(checked.workers, core: core) {
        case .success(let threads):
            self.core = core
            lifecycle = Locked(threads)
        case .failure(let failure):
            core.finalTail.store(core.ring.close(), ordering: .relaxed)
            core.stopping.store(true, ordering: .releasing)
            core.work.notifyAll()
            WorkerThreads.join(failure.started)
            throw DMAError(errno: failure.errno, context: "copy engine: cannot start worker thread \(failure.started.count + 1) of \(checked.workers) (pthread_create); lower the worker count or raise the thread limit")
        }
    }

    deinit {
        stop(.cancel, fromWorker: WorkerThreads.contains(lifecycle.withLock { $0 }))
    }

    // MARK: Submission

    /// Starts a copy whose lists passed ``IOVecContract/checkCopy(completion:source:sourceCount:destination:destinationCount:)``:
    /// the `copy.length` bytes of its source go into its destination (the lists are segmented
    /// independently: any number of entries, any alignment, zero-length entries skipped). This
    /// is the data path of the CPU domains' callbacks, which check their arguments first.
    /// - Parameters:
    ///   - copy: The checked operation; its lists must stay valid and unchanged until its
    ///     completion ran. The completion is called exactly once with 0 or a negated errno,
    ///     unless this throws.
    ///   - argument: Passed to the completion.
    /// - Throws: ``SubmitError/queueFull`` or ``SubmitError/stopped``; then the completion is
    ///   never called.
    @inlinable @inline(__always)
    public func submit(_ copy: CheckedCopy, argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        try submitCopy(destination: copy.destination, destinationCount: copy.destinationCount, source: copy.source,
                       sourceCount: copy.sourceCount, length: copy.length, callback: copy.completion, argument: argument)
    }

    /// ``submit(_:argument:)`` with the checked copy's fields as arguments: they travel in
    /// registers, where the struct would be passed in memory.
    @usableFromInline
    func submitCopy(destination: UnsafePointer<iovec>, destinationCount: UInt32, source: UnsafePointer<iovec>,
                    sourceCount: UInt32, length: Int, callback: @escaping CompletionCallback,
                    argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        try core.submit(kind: .copy, destination: destination, destinationCount: destinationCount,
                        source: source, sourceCount: sourceCount, length: length, pattern: 0,
                        callback: callback, argument: argument)
    }

    /// Starts filling every byte of a list that passed ``IOVecContract/checkMemzero(completion:buffers:count:)``
    /// with `pattern` (0: memzero).
    /// - Parameters:
    ///   - fill: The checked list; it must stay valid and unchanged until its completion ran.
    ///     The completion is called exactly once with 0 or a negated errno, unless this throws.
    ///   - pattern: The byte value.
    ///   - argument: Passed to the completion.
    /// - Throws: ``SubmitError/queueFull`` or ``SubmitError/stopped``; then the completion is
    ///   never called.
    @inline(__always)
    public func submit(_ fill: CheckedFill, pattern: UInt8, argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        try core.submit(kind: .fill, destination: fill.buffers, destinationCount: fill.count,
                        source: nil, sourceCount: 0, length: fill.length, pattern: pattern,
                        callback: fill.completion, argument: argument)
    }

    /// Checks the lists against the contract of `dmahost/iovec.h`, then starts copying the bytes
    /// of `source` into `destination` (``submit(_:argument:)``).
    ///
    /// Both lists must describe the same number of bytes, at least one (see ``IOVecContract``).
    /// - Parameters:
    ///   - destination: Destination entries.
    ///   - destinationCount: Entries in `destination` (0 ... `UInt32.max`).
    ///   - source: Source entries.
    ///   - sourceCount: Entries in `source` (0 ... `UInt32.max`).
    ///   - callback: Called exactly once with 0 or a negated errno, unless this throws.
    ///   - argument: Passed to `callback`.
    /// - Throws: ``SubmitError``; then `callback` is never called.
    @inline(__always)
    public func submitCopy(destination: UnsafePointer<iovec>?, destinationCount: Int,
                           source: UnsafePointer<iovec>?, sourceCount: Int,
                           callback: CompletionCallback?, argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        guard let sourceCount = UInt32(exactly: sourceCount), let destinationCount = UInt32(exactly: destinationCount) else {
            throw .invalidArgument
        }
        let copy: CheckedCopy
        do throws(IOVecError) {
            copy = try IOVecContract.checkCopy(completion: callback, source: source, sourceCount: sourceCount,
                                               destination: destination, destinationCount: destinationCount)
        } catch {
            throw SubmitError(error)
        }
        try submit(copy, argument: argument)
    }

    /// Checks the list against the contract of `dmahost/iovec.h`, then starts filling every byte
    /// of `destination` with `pattern` (``submit(_:pattern:argument:)``).
    /// - Parameters:
    ///   - destination: Entries to fill; at least one byte in all.
    ///   - destinationCount: Entries in `destination` (0 ... `UInt32.max`).
    ///   - pattern: The byte value.
    ///   - callback: Called exactly once with 0 or a negated errno, unless this throws.
    ///   - argument: Passed to `callback`.
    /// - Throws: ``SubmitError``; then `callback` is never called.
    @inline(__always)
    public func submitFill(destination: UnsafePointer<iovec>?, destinationCount: Int, pattern: UInt8,
                           callback: CompletionCallback?, argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        guard let count = UInt32(exactly: destinationCount) else { throw .invalidArgument }
        let fill: CheckedFill
        do throws(IOVecError) {
            fill = try IOVecContract.checkMemzero(completion: callback, buffers: destination, count: count)
        } catch {
            throw SubmitError(error)
        }
        try submit(fill, pattern: pattern, argument: argument)
    }

    // MARK: Completion

    /// Delivers finished completions on the calling thread (poll mode), in submission order:
    /// an operation that is still running holds back the ones submitted after it.
    /// - Parameter maxCompletions: Most callbacks to invoke.
    /// - Returns: How many callbacks were invoked; always 0 in worker mode.
    @discardableResult
    public func poll(maxCompletions: Int = .max) -> Int {
        core.poll(maxCompletions: maxCompletions)
    }

    // MARK: Shutdown

    /// Stops the engine. When it returns, every accepted operation has completed (its callback
    /// returned, or, in poll mode, it is being delivered by another thread's ``poll(maxCompletions:)``),
    /// and every later submission throws ``SubmitError/stopped``. Calling it again does nothing.
    /// - Parameter mode: Whether operations not yet started still run.
    /// - Throws: ``DMAError/invalidArgument(_:)`` when called from a completion callback on a
    ///   worker thread (the worker cannot wait for itself).
    public func shutdown(_ mode: ShutdownMode = .drain) throws(DMAError) {
        if WorkerThreads.contains(lifecycle.withLock { $0 }) {
            throw .invalidArgument("copy engine: shutdown called from a completion callback on a worker thread; call it from another thread")
        }
        stop(mode, fromWorker: false)
    }

    /// True once ``shutdown(_:)`` completed.
    public var isShutDown: Bool { currentState == .stopped }

    /// Where the engine is in its life.
    var currentState: EngineState { state.load(ordering: .acquiring) }

    private func stop(_ mode: ShutdownMode, fromWorker: Bool) {
        let owner: Bool = lifecycle.withLock { threads in
            guard state.load(ordering: .relaxed) == .running else { return false }
            state.store(.stopping, ordering: .relaxed)
            if mode == .cancel { core.cancelling.store(true, ordering: .relaxed) }
            core.finalTail.store(core.ring.close(), ordering: .relaxed)
            core.stopping.store(true, ordering: .releasing)
            core.work.notifyAll()
            if fromWorker {
                // Dropped from a callback: the workers finish on their own (each keeps the core alive).
                WorkerThreads.detach(threads)
            } else {
                WorkerThreads.join(threads)
            }
            threads = []
            return true
        }
        guard owner else {
            // Another thread is stopping the engine: wait for it, unless this call comes from a
            // callback that thread is delivering (it would wait for itself).
            if drainingThread.load(ordering: .acquiring) == UInt(pthread_self()) { return }
            while state.load(ordering: .acquiring) != .stopped { sched_yield() }
            return
        }
        if !fromWorker && core.configuration.completionMode == .poll {
            drainingThread.store(UInt(pthread_self()), ordering: .releasing)
            let end = core.finalTail.load(ordering: .relaxed)
            while !core.reaped(upTo: end) {
                if core.poll(maxCompletions: .max) == 0 { sched_yield() }
            }
            drainingThread.store(0, ordering: .releasing)
        }
        state.store(.stopped, ordering: .releasing)
    }
}
