#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The operations the worker of a single-worker engine submits to itself: a completion
/// callback that resubmits (the common way to keep a device busy, as SPDK's bdevperf does)
/// while the shared ring has nothing waiting.
///
/// Only the worker thread touches the queue, so it needs no atomic operation: no reservation
/// CAS, no publication, no claim CAS, no cell release, and no cache line that another thread
/// writes. The worker runs it in batches, like the ring (every part first, then the
/// completions), after each batch it claims from the ring. Operations submitted by other
/// threads still go through the ring, and a submission on the worker goes through the ring
/// too whenever the ring holds reserved or published work: the queue never lets a chain of
/// resubmissions overtake another thread's operation. Engines with several workers do not
/// have one: there, work that stays on one worker leaves the others idle.
///
/// Memory: `capacity` descriptors and the two cursors, allocated once.
struct WorkerQueue {
    /// The cursors: positions grow without bound; `position & mask` is the entry.
    private struct Cursors {
        /// The next position to run.
        var head = 0
        /// The next free position.
        var tail = 0
    }

    /// The most entries a queue has: 64 descriptors, under 6 KiB, stay in the worker's L1
    /// cache however the positions advance (1024 entries cycle through 90 KiB, and every
    /// submission then starts with a store that misses the L1). When the queue is full,
    /// submissions go through the ring.
    static let maximumCapacity = 64

    let capacity: Int
    private let mask: Int
    private let entries: UnsafeMutablePointer<Descriptor>
    private let statuses: UnsafeMutablePointer<Int32>
    private let cursors: UnsafeMutablePointer<Cursors>

    /// A queue of `capacity` entries (a power of two).
    init(capacity: Int) {
        precondition(capacity >= 1 && capacity & (capacity - 1) == 0, "the queue depth is validated by the configuration")
        self.capacity = capacity
        mask = capacity - 1
        entries = .allocate(capacity: capacity)
        var onePart = Descriptor.vacant
        onePart.parts = 1
        entries.initialize(repeating: onePart, count: capacity)
        statuses = .allocate(capacity: capacity)
        statuses.initialize(repeating: 0, count: capacity)
        cursors = .allocate(capacity: 1)
        cursors.initialize(to: Cursors())
    }

    /// Frees the memory. Only after the worker exited.
    func deallocate() {
        entries.deinitialize(count: capacity)
        entries.deallocate()
        statuses.deallocate()
        cursors.deinitialize(count: 1)
        cursors.deallocate()
    }

    /// True when no operation is queued.
    @inline(__always)
    var isEmpty: Bool { cursors.pointee.head == cursors.pointee.tail }

    /// Queues an operation of one part. Only the fields that differ between operations are
    /// written: every entry starts at the first byte of both lists, as its own leader, one part
    /// (set once, when the queue is made; fewer stores ahead of the atomic operation that
    /// follows the submission).
    /// - Returns: false when the queue is full (nothing was queued).
    @inline(__always)
    func push(kind: OperationKind, destination: UnsafePointer<iovec>, destinationCount: UInt32,
              source: UnsafePointer<iovec>?, sourceCount: UInt32, length: Int, pattern: UInt8,
              callback: CompletionCallback, argument: UnsafeMutableRawPointer?) -> Bool {
        let tail = cursors.pointee.tail
        guard tail &- cursors.pointee.head < capacity else { return false }
        let entry = entries + (tail & mask)
        entry.pointee.callback = callback
        entry.pointee.argument = argument
        entry.pointee.source = source
        entry.pointee.destination = destination
        entry.pointee.sourceCount = sourceCount
        entry.pointee.destinationCount = destinationCount
        entry.pointee.length = length
        entry.pointee.kind = kind
        entry.pointee.pattern = pattern
        cursors.pointee.tail = tail &+ 1
        return true
    }

    /// The positions of the next batch: at most `limit` operations, stopping once they hold
    /// `byteBudget` bytes (the ring's batch rules). Entries pushed while the batch runs join
    /// a later batch.
    @inline(__always)
    func nextBatch(limit: Int, byteBudget: Int) -> (first: Int, count: Int) {
        let head = cursors.pointee.head
        let queued = cursors.pointee.tail &- head
        var count = 0
        var bytes = 0
        while count < queued && count < limit && bytes < byteBudget {
            bytes &+= entries[(head &+ count) & mask].length
            count &+= 1
        }
        return (head, count)
    }

    /// The descriptor at `position` (queued, not yet completed).
    @inline(__always)
    func descriptor(_ position: Int) -> UnsafeMutablePointer<Descriptor> { entries + (position & mask) }

    /// Records the status of the operation at `position` once it ran.
    @inline(__always)
    func setStatus(_ status: Int32, at position: Int) { statuses[position & mask] = status }

    /// Removes the oldest operation, which must be at `position`, and returns what its
    /// completion needs. Its entry is free from now on, so the callback may queue again.
    @inline(__always)
    func retire(_ position: Int) -> (callback: CompletionCallback, argument: UnsafeMutableRawPointer?, status: Int32) {
        assert(position == cursors.pointee.head, "the queue completes in order")
        let entry = entries + (position & mask)
        let completion = (entry.pointee.callback, entry.pointee.argument, statuses[position & mask])
        cursors.pointee.head = position &+ 1
        return completion
    }
}
