import CDMASync
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The shared state of a ``CopyEngine``: the rings, the flags, and the submit, execute,
/// complete and reap paths. Worker threads keep it alive until they exit.
///
/// Each worker has its own ring. Operations submitted on a worker thread (by a completion
/// callback resubmitting, the common pattern) go to that worker's ring, and a worker runs its
/// own ring first, so a steady stream of work stays on one CPU and its cache lines are not
/// passed between workers. Operations submitted from any other thread go to ring 0. An idle
/// worker takes work from the other rings (a fair share of what it finds), so no work waits
/// while a worker is idle.
final class EngineCore: @unchecked Sendable {
    // @unchecked Sendable: the mutable state is the rings (raw memory accessed only through
    // atomics, or by the one thread that owns a cell by the ring protocol) and the flags below,
    // which are Atomics. `threads` is written only by the thread that starts or stops the engine.

    let configuration: CopyEngineConfiguration
    /// One ring per worker; ring 0 also takes every submission made outside the workers.
    let rings: [DescriptorRing]
    /// Workers sleep here when every ring is empty.
    let work = EventCount()
    /// Set by shutdown in cancel mode: workers complete what they claim with -ECANCELED.
    let cancelling = Atomic<Bool>(false)
    /// Set by shutdown once every ring is closed: workers exit when all are drained.
    let stopping = Atomic<Bool>(false)
    /// Worker threads (started and joined by ``CopyEngine``).
    var threads: [pthread_t] = []

    private let isPollMode: Bool
    private let splitWorkers: Int
    private let splitThreshold: Int
    private let minimumPartSize: Int
    private let batchLimit: Int
    private let batchBytes: Int

    init(configuration: CopyEngineConfiguration) {
        self.configuration = configuration
        rings = (0..<configuration.workers).map { _ in DescriptorRing(capacity: configuration.queueDepth) }
        isPollMode = configuration.completionMode == .poll
        splitWorkers = configuration.workers
        splitThreshold = configuration.splitThreshold
        minimumPartSize = configuration.minimumPartSize
        batchLimit = configuration.batchLimit
        batchBytes = configuration.batchBytes
    }

    deinit { for ring in rings { ring.deallocate() } }

    /// The ring for a submission from the calling thread: its own ring on a worker of this
    /// engine, ring 0 anywhere else.
    @inline(__always)
    private func submissionRing() -> DescriptorRing {
        guard rings.count > 1 else { return rings[0] }
        let index = Int(dmasync_thread_owner_index(Unmanaged.passUnretained(self).toOpaque()))
        return rings[index >= 0 && index < rings.count ? index : 0]
    }

    /// Closes every ring to producers (shutdown).
    func closeRings() { for ring in rings { ring.close() } }

    /// True once every ring is closed and every position was reaped (poll mode).
    var allReaped: Bool { rings.allSatisfy { $0.isReaped } }

    // MARK: Submission

    /// Validates, reserves, fills and publishes an operation. See ``CopyEngine``.
    @inline(__always)
    func submit(kind: OperationKind, destination: UnsafePointer<iovec>?, destinationCount: Int,
                source: UnsafePointer<iovec>?, sourceCount: Int, pattern: UInt8,
                callback: CompletionCallback?, argument: UnsafeMutableRawPointer?) throws(SubmitError) {
        guard let callback, sourceCount <= Int(UInt32.max), destinationCount <= Int(UInt32.max) else { throw .invalidArgument }
        guard let destinationTotal = ScatterGather.total(destination, destinationCount) else { throw .invalidArgument }
        let length: Int
        if kind == .copy {
            guard let sourceTotal = ScatterGather.total(source, sourceCount) else { throw .invalidArgument }
            guard destinationTotal >= sourceTotal else { throw .destinationTooSmall }
            length = sourceTotal
        } else {
            length = destinationTotal
        }
        let parts = partCount(length)
        let ring = submissionRing()
        let first = try ring.reserve(parts)
        var descriptor = Descriptor(
            callback: callback, argument: argument, source: source, destination: destination,
            sourceCount: UInt32(truncatingIfNeeded: sourceCount), destinationCount: UInt32(truncatingIfNeeded: destinationCount),
            sourceIndex: 0, destinationIndex: 0, sourceOffset: 0, destinationOffset: 0, length: length, leader: first,
            parts: Int32(parts), kind: kind, pattern: pattern)
        if parts == 1 {
            ring.descriptor(first).pointee = descriptor
            ring.lengthHint(first).pointee.store(length, ordering: .relaxed)
            ring.publish(first)
            work.notify(count: 1)
            return
        }
        submitParts(descriptor: &descriptor, ring: ring, first: first, parts: parts, length: length)
    }

    /// How many parts an operation of `length` bytes is split into.
    @inline(__always)
    func partCount(_ length: Int) -> Int {
        guard splitWorkers > 1, length >= splitThreshold else { return 1 }
        return max(1, min(splitWorkers, length / minimumPartSize))
    }

    /// Fills and publishes the cells of a split operation: equal parts rounded to 4 KiB.
    private func submitParts(descriptor: inout Descriptor, ring: DescriptorRing, first: Int, parts: Int, length: Int) {
        let sourceCount = Int(descriptor.sourceCount)
        let destinationCount = Int(descriptor.destinationCount)
        ring.remaining(first).pointee.store(parts, ordering: .relaxed)
        ring.status(first).pointee.store(0, ordering: .relaxed)
        let partLength = ((length + parts - 1) / parts + 4095) & ~4095
        var offset = 0
        var sourcePosition = SGPosition.start
        var destinationPosition = SGPosition.start
        for index in 0..<parts {
            let thisLength = max(0, min(partLength, length - offset))
            descriptor.sourceStart = sourcePosition
            descriptor.destinationStart = destinationPosition
            descriptor.length = thisLength
            let position = first &+ index
            ring.descriptor(position).pointee = descriptor
            ring.lengthHint(position).pointee.store(thisLength, ordering: .relaxed)
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
        for index in 0..<parts { ring.publish(first &+ index) }
        work.notify(count: Int32(parts))
    }

    // MARK: Execution (worker threads)

    /// Claims and runs one batch, from ring `own` first, then from the others. Returns false
    /// when nothing was published anywhere.
    @inline(__always)
    func runBatch(own: Int) -> Bool {
        var index = own
        for _ in 0..<rings.count {
            let ring = rings[index]
            let (first, count) = ring.claim(limit: batchLimit, byteBudget: batchBytes, share: splitWorkers)
            if count > 0 {
                for position in first..<(first &+ count) { execute(ring, position) }
                return true
            }
            index &+= 1
            if index == rings.count { index = 0 }
        }
        return false
    }

    /// True when any ring has a published cell at its head.
    @inline(__always)
    private func hasPublishedWork() -> Bool { rings.contains { $0.hasPublishedWork() } }

    /// Runs the part in a claimed cell and completes its operation when it was the last part.
    @inline(__always)
    private func execute(_ ring: DescriptorRing, _ position: Int) {
        let descriptor = ring.descriptor(position).pointee
        var status: Int32
        if cancelling.load(ordering: .relaxed) {
            status = -ECANCELED
        } else {
            status = descriptor.kind == .copy ? ScatterGather.copy(descriptor) : ScatterGather.fill(descriptor)
        }
        let leader = descriptor.leader
        if descriptor.parts == 1 {
            complete(ring, leader, callback: descriptor.callback, argument: descriptor.argument, status: status)
            return
        }
        if status != 0 {
            _ = ring.status(leader).pointee.compareExchange(expected: 0, desired: Int(status), ordering: .relaxed)
        }
        let before = ring.remaining(leader).pointee.wrappingSubtract(1, ordering: .acquiringAndReleasing).oldValue
        if position != leader { ring.release(position) }
        guard before == 1 else { return }
        status = Int32(truncatingIfNeeded: ring.status(leader).pointee.load(ordering: .relaxed))
        let leaderDescriptor = ring.descriptor(leader)
        complete(ring, leader, callback: leaderDescriptor.pointee.callback, argument: leaderDescriptor.pointee.argument, status: status)
    }

    /// Delivers (worker mode) or queues for a poller (poll mode) the completion of the
    /// operation whose leader cell is at `leader`.
    @inline(__always)
    private func complete(_ ring: DescriptorRing, _ leader: Int, callback: CompletionCallback?, argument: UnsafeMutableRawPointer?, status: Int32) {
        if isPollMode {
            ring.status(leader).pointee.store(Int(status), ordering: .relaxed)
            ring.markDone(leader)
            return
        }
        ring.release(leader)
        callback?(argument, status)
    }

    // MARK: Polling

    /// Delivers up to `maxCompletions` finished completions on the calling thread, ring by
    /// ring, each in submission order. Returns how many were delivered. Does nothing in worker mode.
    func poll(maxCompletions: Int) -> Int {
        guard isPollMode else { return 0 }
        var delivered = 0
        for ring in rings where delivered < maxCompletions {
            delivered += poll(ring, maxCompletions: maxCompletions - delivered)
        }
        return delivered
    }

    /// Delivers up to `maxCompletions` finished completions of one ring, in submission order.
    private func poll(_ ring: DescriptorRing, maxCompletions: Int) -> Int {
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
                let descriptor = ring.descriptor(position)
                let callback = descriptor.pointee.callback
                let argument = descriptor.pointee.argument
                let status = Int32(truncatingIfNeeded: ring.status(position).pointee.load(ordering: .relaxed))
                ring.release(position)
                callback?(argument, status)
                delivered += 1
            }
            position &+= 1
        }
        return delivered
    }

    // MARK: Worker loop

    /// The body of worker `index`: run batches (its own ring first); when idle, spin then
    /// sleep; exit once the engine is stopping and every reserved position of every ring was claimed.
    func workerLoop(index: Int) {
        dmasync_thread_set_owner(Unmanaged.passUnretained(self).toOpaque(), Int32(truncatingIfNeeded: index))
        defer { dmasync_thread_set_owner(nil, -1) }
        let policy = SpinPolicy(spinNanoseconds: configuration.idleSpinNanoseconds)
        while true {
            if runBatch(own: index) { continue }
            if stopping.load(ordering: .acquiring), rings.allSatisfy({ $0.isDrained }) {
                return
            }
            policy.wait(on: work) { hasPublishedWork() || stopping.load(ordering: .acquiring) }
        }
    }
}
