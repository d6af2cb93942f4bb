import Synchronization

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
///
/// Memory: each ``RingCell`` and each cursor sits at the start of a block of ``blockBytes``
/// bytes aligned to that size, so that no two of them share a cache line or an adjacent-line
/// prefetch pair.
struct DescriptorRing {
    /// Bytes of the block each cell and each cursor has to itself, and the blocks' alignment:
    /// two 64-byte cache lines.
    static let blockBytes = 128
    /// Set in `tail` once the ring is closed to producers.
    static let closedBit = 1 << 62

    /// The ring's cursors, each in a block of its own.
    private enum Cursor: Int, CaseIterable {
        /// The next position to reserve, and ``DescriptorRing/closedBit``.
        case tail
        /// The next position to claim.
        case head
        /// The next position to reap (poll mode).
        case reap
    }

    let capacity: Int
    private let mask: Int
    /// The cells: `capacity` blocks.
    private let cells: UnsafeMutableRawPointer
    /// The cursors: one block each, in the order of ``Cursor``.
    private let cursors: UnsafeMutableRawPointer

    /// Allocates and initialises a ring of `capacity` cells (a power of two).
    init(capacity: Int) {
        precondition(capacity >= 4 && capacity & (capacity - 1) == 0, "ring capacity is validated by the configuration")
        Self.checkLayout()
        self.capacity = capacity
        mask = capacity - 1
        cells = UnsafeMutableRawPointer.allocate(byteCount: capacity * Self.blockBytes, alignment: Self.blockBytes)
        for position in 0..<capacity {
            (cells + position * Self.blockBytes).bindMemory(to: RingCell.self, capacity: 1)
                .initialize(to: RingCell(position: position))
        }
        cursors = UnsafeMutableRawPointer.allocate(byteCount: Cursor.allCases.count * Self.blockBytes, alignment: Self.blockBytes)
        for which in Cursor.allCases {
            (cursors + which.rawValue * Self.blockBytes).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
        }
    }

    /// Stops the program when a cell or a cursor does not fit its block, or needs a stricter
    /// alignment than the blocks have: a field added to ``RingCell`` must not reach into the
    /// next cell. Every value is known at compile time; optimised builds fold the checks away.
    static func checkLayout() {
        precondition(blockBytes > 0 && blockBytes & (blockBytes - 1) == 0, "the block size is a power of two")
        precondition(MemoryLayout<RingCell>.size <= blockBytes,
                     "a ring cell (\(MemoryLayout<RingCell>.size) bytes) must fit its \(blockBytes)-byte block")
        precondition(blockBytes % MemoryLayout<RingCell>.alignment == 0, "ring blocks must be aligned for a cell")
        precondition(MemoryLayout<Atomic<Int>>.size <= blockBytes && blockBytes % MemoryLayout<Atomic<Int>>.alignment == 0,
                     "a cursor must fit its block")
    }

    /// Frees the memory. Only after every thread that used the ring is gone.
    func deallocate() {
        for position in 0..<capacity { cell(position).deinitialize(count: 1) }
        for which in Cursor.allCases { cursor(which).deinitialize(count: 1) }
        cells.deallocate()
        cursors.deallocate()
    }

    // MARK: Cells and cursors

    /// The cell of ring position `position`. Its atomics are shared; its descriptor belongs to
    /// the thread that owns the cell by the ring protocol (reserved, claimed, or done and reaped).
    @inline(__always)
    func cell(_ position: Int) -> UnsafeMutablePointer<RingCell> {
        (cells + (position & mask) &* Self.blockBytes).assumingMemoryBound(to: RingCell.self)
    }

    @inline(__always)
    private func cursor(_ which: Cursor) -> UnsafeMutablePointer<Atomic<Int>> {
        (cursors + which.rawValue &* Self.blockBytes).assumingMemoryBound(to: Atomic<Int>.self)
    }

    /// The next position to reserve; ``closedBit`` once the ring is closed.
    @inline(__always) var tail: UnsafeMutablePointer<Atomic<Int>> { cursor(.tail) }
    /// The next position to claim.
    @inline(__always) var head: UnsafeMutablePointer<Atomic<Int>> { cursor(.head) }
    /// The next position to reap (poll mode).
    @inline(__always) var reap: UnsafeMutablePointer<Atomic<Int>> { cursor(.reap) }

    // MARK: Producer side

    /// Reserves `count` consecutive positions (1 ≤ count ≤ capacity).
    /// - Returns: The first position; the caller fills the descriptors and calls ``publish(_:)``.
    /// - Throws: ``SubmitError/queueFull`` when a needed cell is still occupied,
    ///   ``SubmitError/stopped`` once the ring is closed.
    @inline(__always)
    func reserve(_ count: Int) throws(SubmitError) -> Int {
        // More than `capacity` cells would never be free at once: the caller would get
        // `queueFull` forever. The engine splits into at most `capacity / 2` parts.
        assert(count >= 1 && count <= capacity, "reserve 1...capacity cells")
        var position = tail.pointee.load(ordering: .relaxed)
        search: while true {
            if position & Self.closedBit != 0 { throw .stopped }
            for offset in 0..<count {
                let wanted = position &+ offset
                let difference = cell(wanted).pointee.sequence.load(ordering: .acquiring) &- wanted
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

    /// Reserves one position: ``reserve(_:)`` for a count of 1, the path of every operation
    /// that is not split.
    @inline(__always)
    func reserveOne() throws(SubmitError) -> Int {
        var position = tail.pointee.load(ordering: .relaxed)
        while true {
            if position & Self.closedBit != 0 { throw .stopped }
            let difference = cell(position).pointee.sequence.load(ordering: .acquiring) &- position
            if difference == 0 {
                let (exchanged, current) = tail.pointee.compareExchange(
                    expected: position, desired: position &+ 1, ordering: .relaxed)
                if exchanged { return position }
                position = current
                continue
            }
            let current = tail.pointee.load(ordering: .relaxed)
            if difference < 0 && current == position { throw .queueFull }
            position = current
        }
    }

    /// Makes a reserved, filled cell visible to workers.
    @inline(__always)
    func publish(_ position: Int) {
        cell(position).pointee.sequence.store(position &+ 1, ordering: .releasing)
    }

    /// Closes the ring to producers.
    /// - Returns: The final tail: every position below it was reserved and will be published.
    func close() -> Int {
        tail.pointee.bitwiseOr(Self.closedBit, ordering: .sequentiallyConsistent).oldValue & ~Self.closedBit
    }

    /// True when every reserved position was claimed: no operation waits in the ring, and the
    /// ring is open (a closed ring's tail carries ``closedBit``, so it never equals the head).
    /// Two relaxed loads: a hint for the worker's own queue, which a race only sends through
    /// the ring (or, at worst, past one operation submitted at the same moment).
    @inline(__always)
    var isIdle: Bool {
        head.pointee.load(ordering: .relaxed) == tail.pointee.load(ordering: .relaxed)
    }

    // MARK: Consumer side

    /// True when the cell at `head` is published (a cheap check for idle workers).
    @inline(__always)
    func hasPublishedWork() -> Bool {
        let position = head.pointee.load(ordering: .relaxed)
        return cell(position).pointee.sequence.load(ordering: .acquiring) == position &+ 1
    }

    /// Claims up to `limit` consecutive published cells, stopping early once they hold
    /// `byteBudget` bytes, and taking no more than a fair share (1/`share`, rounded up) of the
    /// published cells it looked at, so that other workers find work too. `share` is the number
    /// of threads that claim. `head` moves by a compare-and-swap even when one thread claims: a
    /// plain store there (the only consumer) saved about 6 ns per 64-byte round trip but made
    /// 4 KiB copies at queue depth 32 about 8% slower, in alternating runs.
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
            // min(limit, withinBudget * share), recomputed only when the budget is reached.
            var looks = limit
            while published < looks {
                let candidate = position &+ published
                let candidateCell = cell(candidate)
                guard candidateCell.pointee.sequence.load(ordering: .acquiring) == candidate &+ 1 else { break }
                published &+= 1
                if withinBudget == limit {
                    bytes &+= candidateCell.pointee.lengthHint.load(ordering: .relaxed)
                    if bytes >= byteBudget {
                        withinBudget = published
                        looks = min(limit, published &* share)
                    }
                }
            }
            if published == 0 {
                let difference = cell(position).pointee.sequence.load(ordering: .acquiring) &- (position &+ 1)
                if difference < 0 { return (position, 0) }
                position = head.pointee.load(ordering: .relaxed)
                continue
            }
            // No division for one worker (it costs more than the rest of the claim).
            let fairShare = share == 1 ? published : (published &+ share &- 1) / share
            let count = min(withinBudget, published, fairShare)
            let (exchanged, current) = head.pointee.compareExchange(
                expected: position, desired: position &+ count, ordering: .relaxed)
            if exchanged { return (position, count) }
            position = current
        }
    }

    /// Frees a cell for the producer of the next lap.
    @inline(__always)
    func release(_ position: Int) {
        cell(position).pointee.sequence.store(position &+ capacity, ordering: .releasing)
    }

    /// Marks a finished leader cell as waiting for a poller (poll mode).
    @inline(__always)
    func markDone(_ position: Int) {
        cell(position).pointee.sequence.store(position &+ 2, ordering: .releasing)
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
        let difference = cell(position).pointee.sequence.load(ordering: .acquiring) &- position
        if difference == 2 { return .done }
        if difference >= capacity { return .skip }
        return .pending
    }
}
