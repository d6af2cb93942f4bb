import CDMASync
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The memory behind every ``CompletionSlot``: 64-byte slots in chunks of 1,024, reached
/// through a fixed directory of chunk pointers. Chunks are allocated on demand and **never
/// freed**, so a completion that arrives at any time (late, twice, for a slot reused since)
/// reads valid memory; what it may do is decided by the slot's state word (generation and
/// phase), never by whether the memory still exists.
///
/// Slot layout (all fields atomic, so that a stray call racing with the owner is well defined):
///
/// | Offset | Field |
/// | --- | --- |
/// | 0 | state: generation (29 bits) · phase (3 bits) · rc (32 bits) |
/// | 8 | the owner's handler (a C function pointer) |
/// | 16 | the owner's context pointer |
/// | 24 | the domain the operation was submitted to (for fault counters) |
/// | 32 | the previous operation's generation and final phase (to classify a stray call) |
/// | 40 | the previous operation's domain |
/// | 48 | flags (bit 0: give the slot back to the pool after delivery) |
/// | 56 | the slot's index (immutable, 32 bits) |
/// | 60 | the returned mark (32 bits; see ``CompletionSlot``): an operation's generation with bit 30 set once it is armed to return by the mark, bit 31 once its call returned 0 |
final class CompletionSlotTable: @unchecked Sendable {
    // @unchecked Sendable: the directory is allocated once and never freed; its entries are
    // atomics written once (nil → chunk) under `pool`'s lock; the pool is Locked.

    /// The one table of the process.
    static let shared = CompletionSlotTable()

    static let slotStride = 64
    static let chunkShift = 10
    static let chunkSize = 1 << chunkShift
    /// 4,096 chunks of 1,024 slots: at most 4,194,304 operations waiting at once.
    static let maximumChunks = 4096

    static let stateOffset = 0
    static let handlerOffset = 8
    static let contextOffset = 16
    static let domainOffset = 24
    static let previousOffset = 32
    static let previousDomainOffset = 40
    static let flagsOffset = 48
    static let indexOffset = 56
    static let returnedOffset = 60

    private let directory: UnsafeMutablePointer<Atomic<UInt>>

    /// Slots handed back wait behind this many others before they are reused (first in, first
    /// out), so that a repeated or late completion soon after an operation still finds the
    /// slot at that operation's generation and is attributed to its domain exactly.
    static let quarantine = 1024

    private struct Pool {
        /// Slots handed back, oldest first from `head`.
        var free: [UInt32] = []
        var head = 0
        /// Slots ever created (the next fresh index).
        var created: Int = 0

        var waiting: Int { free.count - head }

        mutating func push(_ index: UInt32) { free.append(index) }

        /// The oldest slot handed back, once more than ``quarantine`` wait.
        mutating func popOldest() -> UInt32? {
            guard waiting > CompletionSlotTable.quarantine else { return nil }
            let index = free[head]
            head += 1
            if head >= 4096 && head * 2 >= free.count {
                free.removeFirst(head)
                head = 0
            }
            return index
        }
    }
    private let pool = Locked(Pool())

    private init() {
        // Before the first slot exists: whether submissions may return without an atomic
        // read-modify-write (``CompletionSlot``) is decided once, for every slot.
        _ = dmasync_membarrier_register()
        directory = UnsafeMutablePointer<Atomic<UInt>>.allocate(capacity: Self.maximumChunks)
        for index in 0..<Self.maximumChunks { (directory + index).initialize(to: Atomic(0)) }
    }

    /// The slot record with this index, or nil when no such slot was ever created. Lock-free.
    @inline(__always)
    func record(at index: UInt) -> UnsafeMutableRawPointer? {
        let chunk = index >> UInt(Self.chunkShift)
        guard chunk < UInt(Self.maximumChunks) else { return nil }
        let base = directory[Int(chunk)].load(ordering: .acquiring)
        guard base != 0, let start = UnsafeMutableRawPointer(bitPattern: base) else { return nil }
        return start + Int(index & UInt(Self.chunkSize - 1)) &* Self.slotStride
    }

    /// A slot no operation uses: the oldest one handed back when more than ``quarantine`` wait,
    /// else a fresh one; nil when the table is full
    /// (4,194,304 slots in use, or no memory for a new chunk).
    func acquire() -> UnsafeMutableRawPointer? {
        let index: Int? = pool.withLock { pool in
            if let reused = pool.popOldest() { return Int(reused) }
            let fresh = pool.created
            guard fresh < Self.maximumChunks * Self.chunkSize else { return nil }
            if fresh & (Self.chunkSize - 1) == 0 {
                guard let chunk = Self.makeChunk(first: fresh) else { return nil }
                directory[fresh >> Self.chunkShift].store(UInt(bitPattern: chunk), ordering: .releasing)
            }
            pool.created = fresh + 1
            return fresh
        }
        return index.flatMap { record(at: UInt($0)) }
    }

    /// Gives a slot back for reuse by ``acquire()``.
    func release(_ record: UnsafeMutableRawPointer) {
        let index = Self.index(of: record)
        pool.withLock { $0.push(index) }
    }

    /// Slots created so far and slots in the pool (for tests and reports).
    var counts: (created: Int, free: Int) { pool.withLock { ($0.created, $0.waiting) } }

    /// The index stored in a slot record.
    @inline(__always)
    static func index(of record: UnsafeMutableRawPointer) -> UInt32 {
        (record + indexOffset).load(as: UInt32.self)
    }

    /// Allocates and initialises one chunk (all slots idle, generation 0). Never freed.
    private static func makeChunk(first: Int) -> UnsafeMutableRawPointer? {
        let byteCount = chunkSize * slotStride
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, slotStride, byteCount) == 0, let chunk = memory else { return nil }
        for slot in 0..<chunkSize {
            let record = chunk + slot * slotStride
            (record + stateOffset).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
            for offset in stride(from: handlerOffset, through: flagsOffset, by: 8) {
                (record + offset).bindMemory(to: Atomic<UInt>.self, capacity: 1).initialize(to: Atomic(0))
            }
            (record + indexOffset).bindMemory(to: UInt32.self, capacity: 1).initialize(to: UInt32(first + slot))
            (record + returnedOffset).bindMemory(to: Atomic<UInt32>.self, capacity: 1).initialize(to: Atomic(0))
        }
        return chunk
    }
}
