import CCPUEngineSupport
import DMADriverKit
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The shared state of a ``CopyEngine``: the ring, the flags, and the submit, execute,
/// complete and reap paths. Worker threads keep it alive until they exit.
final class EngineCore: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is the ring (raw memory accessed only through
    // atomics, or by the one thread that owns a cell by the ring protocol) and the flags below,
    // which are Atomics.

    let configuration: CopyEngineConfiguration
    let ring: DescriptorRing
    /// Workers sleep here when the ring is empty.
    let work = EventCount()
    /// Set by shutdown in cancel mode: workers complete what they claim with -ECANCELED.
    let cancelling = Atomic<Bool>(false)
    /// Set by shutdown once `finalTail` is known: workers exit when the ring is drained.
    let stopping = Atomic<Bool>(false)
    /// The ring's tail when it was closed.
    let finalTail = Atomic<Int>(0)

    private let isPollMode: Bool
    private let splitWorkers: Int
    private let splitThreshold: Int
    private let minimumPartSize: Int
    private let batchLimit: Int
    private let batchBytes: Int
    /// Cached or non-temporal stores, by part size.
    let kernels: CopyKernels
    /// The operations the worker submits to itself: engines with one worker in worker
    /// completion mode; nil otherwise.
    let workerQueue: WorkerQueue?

    init(configuration: CopyEngineConfiguration) {
        self.configuration = configuration
        ring = DescriptorRing(capacity: configuration.queueDepth)
        isPollMode = configuration.completionMode == .poll
        splitWorkers = configuration.workers
        splitThreshold = configuration.splitThreshold
        minimumPartSize = configuration.minimumPartSize
        batchLimit = configuration.batchLimit
        batchBytes = configuration.batchBytes
        kernels = CopyKernels(configuration: configuration)
        workerQueue = configuration.workers == 1 && !isPollMode
            ? WorkerQueue(capacity: min(configuration.queueDepth, WorkerQueue.maximumCapacity)) : nil
    }

    deinit {
        ring.deallocate()
        workerQueue?.deallocate()
        kernels.history?.deallocate()
    }

    // MARK: Submission

    /// Reserves, fills and publishes an operation whose lists passed the contract of
    /// `dmahost/iovec.h` (``CopyEngine`` takes only checked operations): `length` is the byte
    /// count the check computed, the same on both sides of a copy.
    @inline(__always)
    func submit(kind: OperationKind, destination: UnsafePointer<iovec>, destinationCount: UInt32,
                source: UnsafePointer<iovec>?, sourceCount: UInt32, length: Int, pattern: UInt8,
                callback: @escaping CompletionCallback, argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        let parts = partCount(length)
        if parts == 1 {
            if let workerQueue, isWorkerThread, ring.isIdle,
               workerQueue.push(kind: kind, destination: destination, destinationCount: destinationCount,
                                source: source, sourceCount: sourceCount, length: length, pattern: pattern,
                                callback: callback, argument: argument) {
                return
            }
            let position = try ring.reserveOne()
            let cell = ring.cell(position)
            cell.pointee.descriptor = Descriptor(
                callback: callback, argument: argument, source: source, destination: destination,
                sourceCount: sourceCount, destinationCount: destinationCount,
                sourceIndex: 0, destinationIndex: 0, sourceOffset: 0, destinationOffset: 0, length: length, leader: position,
                parts: 1, kind: kind, pattern: pattern)
            cell.pointee.lengthHint.store(length, ordering: .relaxed)
            ring.publish(position)
            wakeWorkers(1)
            return
        }
        let first = try ring.reserve(parts)
        var descriptor = Descriptor(
            callback: callback, argument: argument, source: source, destination: destination,
            sourceCount: sourceCount, destinationCount: destinationCount,
            sourceIndex: 0, destinationIndex: 0, sourceOffset: 0, destinationOffset: 0, length: length, leader: first,
            parts: Int32(parts), kind: kind, pattern: pattern)
        submitParts(descriptor: &descriptor, first: first, parts: parts, length: length)
    }

    /// Tells sleeping workers that `count` cells were published. A worker of this engine (a
    /// completion callback resubmitting) looks at the ring again before it sleeps, so it skips
    /// the fence that guarantees a wake-up and only wakes workers it sees asleep.
    @inline(__always)
    private func wakeWorkers(_ count: Int32) {
        if isWorkerThread {
            work.notifyIfWaiting(count: count)
        } else {
            work.notify(count: count)
        }
    }

    /// True on a worker thread of this engine (a completion callback).
    @inline(__always)
    private var isWorkerThread: Bool {
        dmahost_engine_thread_get() == UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
    }

    /// How many parts an operation of `length` bytes is split into.
    @inline(__always)
    func partCount(_ length: Int) -> Int {
        guard splitWorkers > 1, length >= splitThreshold else { return 1 }
        return max(1, min(splitWorkers, length / minimumPartSize))
    }

    /// Fills and publishes the cells of a split operation: equal parts rounded up to whole
    /// pages, so the last one is shorter (or empty).
    private func submitParts(descriptor: inout Descriptor, first: Int, parts: Int, length: Int) {
        let ring = self.ring
        let sourceCount = Int(descriptor.sourceCount)
        let destinationCount = Int(descriptor.destinationCount)
        let leader = ring.cell(first)
        leader.pointee.remaining.store(parts, ordering: .relaxed)
        leader.pointee.status.store(0, ordering: .relaxed)
        let partLength = PageSize.roundUp(byteCount: length / parts + (length % parts == 0 ? 0 : 1))
        var offset = 0
        var sourcePosition = SGPosition.start
        var destinationPosition = SGPosition.start
        for index in 0..<parts {
            let thisLength = max(0, min(partLength, length - offset))
            descriptor.sourceStart = sourcePosition
            descriptor.destinationStart = destinationPosition
            descriptor.length = thisLength
            let cell = ring.cell(first &+ index)
            cell.pointee.descriptor = descriptor
            cell.pointee.lengthHint.store(thisLength, ordering: .relaxed)
            if thisLength > 0 {
                if let source = descriptor.source, descriptor.kind == .copy {
                    sourcePosition = ScatterGather.advance(source, count: sourceCount, from: sourcePosition, by: thisLength)
                }
                if let destination = descriptor.destination {
                    destinationPosition = ScatterGather.advance(destination, count: destinationCount,
                                                                from: destinationPosition, by: thisLength)
                }
            }
            offset += thisLength
        }
        assert(offset == length, "the parts of a split operation cover it")
        for index in 0..<parts { ring.publish(first &+ index) }
        wakeWorkers(Int32(parts))
    }

    // MARK: Execution (worker threads)

    /// Claims one batch, runs every part in it, then completes them in ring order. Returns
    /// false when nothing was published.
    ///
    /// Running the whole batch before the first completion keeps the copies back to back:
    /// the atomic read-modify-writes of the completion path (and of the resubmissions that
    /// callbacks make) wait for the store buffer to drain, which right after a copy into
    /// memory that is not cached means waiting for its last lines. Once per batch, not once
    /// per operation.
    @inline(__always)
    func runBatch() -> Bool {
        let (first, count) = claimBatch()
        guard count > 0 else { return false }
        runParts(first, count: count)
        completeParts(first, count: count)
        return true
    }

    /// Claims up to ``CopyEngineConfiguration/batchLimit`` published cells (one CAS).
    @inline(never)
    func claimBatch() -> (first: Int, count: Int) {
        ring.claim(limit: batchLimit, byteBudget: batchBytes, share: splitWorkers)
    }

    /// Runs one part (a copy or a fill), or only answers -ECANCELED when the engine is
    /// cancelling. Returns the part's status.
    @inline(__always)
    private func run(_ descriptor: Descriptor, cancelled: Bool) -> Int32 {
        if cancelled { return -ECANCELED }
        return descriptor.kind == .copy ? kernels.copy(descriptor) : kernels.fill(descriptor)
    }

    /// Runs the parts in claimed cells, leaving each part's status in its cell.
    @inline(never)
    func runParts(_ first: Int, count: Int) {
        let cancelled = cancelling.load(ordering: .relaxed)
        // Positions wrap like the ring's cursors: no range (and no trap on its bounds).
        let end = first &+ count
        var position = first
        while position != end {
            defer { position &+= 1 }
            let cell = ring.cell(position)
            let status = run(cell.pointee.descriptor, cancelled: cancelled)
            if cell.pointee.descriptor.parts == 1 {
                cell.pointee.status.store(Int(status), ordering: .relaxed)
            } else if status != 0 {
                // The first error of any part wins; a later one finds the status set and is dropped.
                _ = ring.cell(cell.pointee.descriptor.leader).pointee.status.compareExchange(
                    expected: 0, desired: Int(status), ordering: .relaxed)
            }
        }
    }

    /// Completes the operations of run parts: a whole operation at once, a split one when
    /// its last part finished.
    @inline(never)
    func completeParts(_ first: Int, count: Int) {
        let end = first &+ count
        var position = first
        while position != end {
            defer { position &+= 1 }
            let cell = ring.cell(position)
            let leader = cell.pointee.descriptor.leader
            if cell.pointee.descriptor.parts == 1 {
                complete(leader, callback: cell.pointee.descriptor.callback, argument: cell.pointee.descriptor.argument,
                         status: Int32(truncatingIfNeeded: cell.pointee.status.load(ordering: .relaxed)))
                continue
            }
            let leaderCell = ring.cell(leader)
            let before = leaderCell.pointee.remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).oldValue
            assert(before >= 1, "a part finishes once")
            if position != leader { ring.release(position) }
            guard before == 1 else { continue }
            complete(leader, callback: leaderCell.pointee.descriptor.callback, argument: leaderCell.pointee.descriptor.argument,
                     status: Int32(truncatingIfNeeded: leaderCell.pointee.status.load(ordering: .relaxed)))
        }
    }

    /// Runs batches of the worker's own queue (``WorkerQueue``), each every part first, then
    /// the completions, until the queue is empty or the ring holds work (or was closed).
    /// Returns false when the queue was empty. Only on the worker thread.
    @inline(never)
    func runWorkerQueue() -> Bool {
        guard let workerQueue, !workerQueue.isEmpty else { return false }
        repeat {
            let (first, count) = workerQueue.nextBatch(limit: batchLimit, byteBudget: batchBytes)
            let cancelled = cancelling.load(ordering: .relaxed)
            let end = first &+ count
            var position = first
            while position != end {
                defer { position &+= 1 }
                workerQueue.setStatus(run(workerQueue.descriptor(position).pointee, cancelled: cancelled), at: position)
            }
            position = first
            while position != end {
                defer { position &+= 1 }
                let (callback, argument, status) = workerQueue.retire(position)
                callback(argument, status)
            }
        } while !workerQueue.isEmpty && ring.isIdle
        return true
    }

    /// Delivers (worker mode) or queues for a poller (poll mode) the completion of the
    /// operation whose leader cell is at `leader`.
    @inline(__always)
    private func complete(_ leader: Int, callback: CompletionCallback, argument: UnsafeMutableRawPointer?, status: Int32) {
        if isPollMode {
            ring.cell(leader).pointee.status.store(Int(status), ordering: .relaxed)
            ring.markDone(leader)
            return
        }
        ring.release(leader)
        callback(argument, status)
    }

    // MARK: Polling

    /// Delivers up to `maxCompletions` finished completions, in submission order, on the
    /// calling thread. Returns how many were delivered. Does nothing in worker mode.
    func poll(maxCompletions: Int) -> Int {
        guard isPollMode else { return 0 }
        let ring = self.ring
        var delivered = 0
        var position = ring.reap.pointee.load(ordering: .relaxed)
        while delivered < maxCompletions {
            let state = ring.reapState(position)
            if case .pending = state { break }
            let (exchanged, current) = ring.reap.pointee.compareExchange(
                expected: position, desired: position &+ 1, ordering: .relaxed)
            guard exchanged else {
                position = current
                continue
            }
            if case .done = state {
                let cell = ring.cell(position)
                let callback = cell.pointee.descriptor.callback
                let argument = cell.pointee.descriptor.argument
                let status = Int32(truncatingIfNeeded: cell.pointee.status.load(ordering: .relaxed))
                ring.release(position)
                callback(argument, status)
                delivered += 1
            }
            position &+= 1
        }
        return delivered
    }

    /// True when every position below `end` was reaped (poll mode).
    func reaped(upTo end: Int) -> Bool {
        ring.reap.pointee.load(ordering: .acquiring) >= end
    }

    // MARK: Worker loop

    /// The body of a worker thread: run batches; when idle, spin then sleep; exit once the
    /// engine is stopping and every reserved position was claimed.
    ///
    /// The spin adapts to the submitter (``IdleSpin``): a worker woken soon after it fell
    /// asleep spins longer next time, so that a thread that submits one operation after the
    /// other's completion finds it still spinning instead of paying a futex wake-up (tens of
    /// microseconds in a virtual machine) per operation.
    func workerLoop() {
        dmahost_engine_thread_set(UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()))
        defer { dmahost_engine_thread_set(nil) }
        var spin = IdleSpin(base: configuration.idleSpinNanoseconds, maximum: configuration.maximumIdleSpinNanoseconds)
        while true {
            // A batch from the ring, then the worker's own queue until the ring holds work:
            // neither waits for the other to run dry. (The claim looks at the cell at the
            // head, which the worker reads while it waits anyway; the tail, which would tell
            // an idle ring with one load less, is the submitters' line: reading it here on
            // every turn costs them a cache-line transfer per submission, 20 ns per 64-byte
            // round trip with a submitting thread.)
            let ranShared = runBatch()
            if runWorkerQueue() || ranShared { continue }
            if stopping.load(ordering: .acquiring),
               ring.head.pointee.load(ordering: .relaxed) >= finalTail.load(ordering: .relaxed) {
                return
            }
            let start = monotonicNanoseconds()
            let slept = SpinPolicy(spinNanoseconds: spin.nanoseconds).wait(on: work) {
                ring.hasPublishedWork() || stopping.load(ordering: .acquiring)
            }
            if slept { spin.record(idleNanoseconds: monotonicNanoseconds() &- start) }
        }
    }
}
