import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The engine's preallocated, bounded, multi-producer multi-consumer descriptor ring.
///
/// A cell's sequence number encodes its state for ring position `p` (the cell is `p % capacity`),
/// after the bounded MPMC queue design of D. Vyukov, extended so that a cell stays occupied
/// until its operation's completion was delivered:
///
/// | sequence        | state                                                        |
/// |-----------------|--------------------------------------------------------------|
/// | `p`             | free for the producer of position `p`                        |
/// | `p + 1`         | published: a worker may claim it                             |
/// | `p + 2`         | done, completion waiting for a poller (poll mode, leaders)   |
/// | `p + capacity`  | released: free for the producer of `p + capacity`            |
///
/// Producers reserve consecutive positions with one CAS on `tail`; workers claim a batch of
/// published positions with one CAS on `head`; in poll mode pollers advance `reap` over
/// done and released cells. A cell is released by whoever finishes with it last, so an
/// accepted operation can never be overwritten, and a full ring refuses new work instead of
/// growing. All memory is allocated once. Positions are reserved in order but released out of
/// order, so ``reserve(_:)`` can refuse while fewer than `capacity` operations are in flight:
/// the cell of the next position is still held (a preempted worker's claimed cell, say).
struct DescriptorRing {
    /// Bytes per cell: four atomic words, then the descriptor.
    static let cellStride = 128
    private static let remainingOffset = 8
    private static let statusOffset = 16
    private static let hintOffset = 24
    private static let descriptorOffset = 32
    /// Set in `tail` once the ring is closed to producers.
    static let closedBit = 1 << 62

    let capacity: Int
    private let mask: Int
    /// The cells.
    private let cells: UnsafeMutableRawPointer
    /// `tail`, `head` and `reap`, 128 bytes apart (no false sharing, no adjacent-line prefetch).
    private let cursors: UnsafeMutableRawPointer

    /// Allocates and initialises a ring of `capacity` cells (a power of two).
    init(capacity: Int) {
        precondition(capacity >= 4 && capacity & (capacity - 1) == 0, "ring capacity is validated by the configuration")
        precondition(Self.descriptorOffset + MemoryLayout<Descriptor>.size <= Self.cellStride, "a descriptor must fit its cell")
        self.capacity = capacity
        mask = capacity - 1
        cells = UnsafeMutableRawPointer.allocate(byteCount: capacity * Self.cellStride, alignment: Self.cellStride)
        for index in 0..<capacity {
            let cell = cells + index * Self.cellStride
            cell.bindMemory(to: Atomic<Int>.self, capacity: 4)
            let atomics = cell.assumingMemoryBound(to: Atomic<Int>.self)
            atomics.initialize(to: Atomic(index))
            (atomics + 1).initialize(to: Atomic(0))
            (atomics + 2).initialize(to: Atomic(0))
            (atomics + 3).initialize(to: Atomic(0))
            (cell + Self.descriptorOffset).bindMemory(to: Descriptor.self, capacity: 1)
        }
        cursors = UnsafeMutableRawPointer.allocate(byteCount: 3 * 128, alignment: 128)
        for index in 0..<3 {
            (cursors + index * 128).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        }
    }

    /// Frees the memory. Only after every thread that used the ring is gone.
    func deallocate() {
        for index in 0..<capacity {
            (cells + index * Self.cellStride).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 4)
        }
        for index in 0..<3 { (cursors + index * 128).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 1) }
        cells.deallocate()
        cursors.deallocate()
    }

    // MARK: Cell access

    @inline(__always) private func cell(_ position: Int) -> UnsafeMutableRawPointer {
        cells + (position & mask) &* Self.cellStride
    }
    /// The state word of the cell of `position`.
    @inline(__always) func sequence(_ position: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        cell(position).assumingMemoryBound(to: Atomic<Int>.self)
    }
    /// Parts of a split operation still running (leader cells).
    @inline(__always) func remaining(_ position: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        (cell(position) + Self.remainingOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    /// 0 or the first negated errno of the operation's parts (leader cells).
    @inline(__always) func status(_ position: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        (cell(position) + Self.statusOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    /// Byte count of a published cell, readable before claiming it (batch sizing only).
    @inline(__always) func lengthHint(_ position: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        (cell(position) + Self.hintOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    /// The descriptor of a cell the caller owns (reserved, claimed, or done and reaped).
    @inline(__always) func descriptor(_ position: Int) -> UnsafeMutablePointer<Descriptor> {
        (cell(position) + Self.descriptorOffset).assumingMemoryBound(to: Descriptor.self)
    }

    // MARK: Cursors

    @inline(__always) var tail: UnsafeMutablePointer<Atomic<Int>> { cursors.assumingMemoryBound(to: Atomic<Int>.self) }
    @inline(__always) var head: UnsafeMutablePointer<Atomic<Int>> { (cursors + 128).assumingMemoryBound(to: Atomic<Int>.self) }
    @inline(__always) var reap: UnsafeMutablePointer<Atomic<Int>> { (cursors + 256).assumingMemoryBound(to: Atomic<Int>.self) }

    // MARK: Producer side

    /// Reserves `count` consecutive positions (1 ≤ count ≤ capacity).
    /// - Returns: The first position; the caller fills the descriptors and calls ``publish(_:)``.
    /// - Throws: ``SubmitError/queueFull`` when a needed cell is still occupied,
    ///   ``SubmitError/stopped`` once the ring is closed.
    @inline(__always)
    func reserve(_ count: Int) throws(SubmitError) -> Int {
        var position = tail.pointee.load(ordering: .relaxed)
        search: while true {
            if position & Self.closedBit != 0 { throw .stopped }
            for offset in 0..<count {
                let wanted = position &+ offset
                let difference = sequence(wanted).pointee.load(ordering: .acquiring) &- wanted
                if difference == 0 { continue }
                let current = tail.pointee.load(ordering: .relaxed)
                if difference < 0 && current == position { throw .queueFull }
                position = current
                continue search
            }
            let (exchanged, current) = tail.pointee.compareExchange(
                expected: position, desired: position &+ count, ordering: .relaxed)
            if exchanged { return position }
            position = current
        }
    }

    /// Makes a reserved, filled cell visible to workers.
    @inline(__always)
    func publish(_ position: Int) {
        sequence(position).pointee.store(position &+ 1, ordering: .releasing)
    }

    /// Closes the ring to producers.
    /// - Returns: The final tail: every position below it was reserved and will be published.
    func close() -> Int {
        tail.pointee.bitwiseOr(Self.closedBit, ordering: .sequentiallyConsistent).oldValue & ~Self.closedBit
    }

    // MARK: Consumer side

    /// True when the cell at `head` is published (a cheap check for idle workers).
    @inline(__always)
    func hasPublishedWork() -> Bool {
        let position = head.pointee.load(ordering: .relaxed)
        return sequence(position).pointee.load(ordering: .acquiring) == position &+ 1
    }

    /// Claims up to `limit` consecutive published cells, stopping early once they hold
    /// `byteBudget` bytes, and taking no more than a fair share (1/`share`, rounded up) of the
    /// published cells it looked at, so that other workers find work too.
    /// - Returns: The first claimed position and how many were claimed (0 when none is published).
    @inline(__always)
    func claim(limit: Int, byteBudget: Int, share: Int) -> (first: Int, count: Int) {
        var position = head.pointee.load(ordering: .relaxed)
        while true {
            // Look at up to `share` times the cells the budget allows (each look may cost a
            // cache miss), then take a fair share of those found.
            var published = 0
            var bytes = 0
            var withinBudget = limit
            while published < min(limit, withinBudget &* share) {
                let candidate = position &+ published
                guard sequence(candidate).pointee.load(ordering: .acquiring) == candidate &+ 1 else { break }
                published &+= 1
                if withinBudget == limit {
                    bytes &+= lengthHint(candidate).pointee.load(ordering: .relaxed)
                    if bytes >= byteBudget { withinBudget = published }
                }
            }
            if published == 0 {
                let difference = sequence(position).pointee.load(ordering: .acquiring) &- (position &+ 1)
                if difference < 0 { return (position, 0) }
                position = head.pointee.load(ordering: .relaxed)
                continue
            }
            let count = min(withinBudget, published, (published &+ share &- 1) / share)
            let (exchanged, current) = head.pointee.compareExchange(
                expected: position, desired: position &+ count, ordering: .relaxed)
            if exchanged { return (position, count) }
            position = current
        }
    }

    /// Frees a cell for the producer of the next lap.
    @inline(__always)
    func release(_ position: Int) {
        sequence(position).pointee.store(position &+ capacity, ordering: .releasing)
    }

    /// Marks a finished leader cell as waiting for a poller (poll mode).
    @inline(__always)
    func markDone(_ position: Int) {
        sequence(position).pointee.store(position &+ 2, ordering: .releasing)
    }

    // MARK: Poller side

    /// What a poller found at the reap cursor.
    enum ReapState {
        /// A done leader: deliver its completion, then release it.
        case done
        /// A released part cell: skip it.
        case skip
        /// Not finished (or not yet reserved): stop.
        case pending
    }

    /// The state of the cell at reap position `position`.
    @inline(__always)
    func reapState(_ position: Int) -> ReapState {
        let difference = sequence(position).pointee.load(ordering: .acquiring) &- position
        if difference == 2 { return .done }
        if difference >= capacity { return .skip }
        return .pending
    }
}
