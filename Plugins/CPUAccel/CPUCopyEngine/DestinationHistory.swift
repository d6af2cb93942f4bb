import Synchronization

/// Which destinations an engine wrote recently: what ``CacheControl/auto`` decides by.
///
/// A destination written again before the engine has written more than ``windowBytes`` bytes
/// elsewhere (the reuse distance) is probably still in the cache: writing it through the cache
/// is cheap, and whoever reuses the buffer reads it from there. A destination not seen within
/// that distance is not cached any more (or never was): streaming it saves the reads for
/// ownership and evicts nothing.
///
/// A direct-mapped table of ``entryCount`` words, shared by the workers: each holds the page
/// number of a destination's start (36 bits of a 48-bit address) and the engine's byte clock
/// when it was written (28 bits, in 64 KiB units: it wraps after 16 TiB, far beyond any
/// window). Loads and stores are relaxed: a lost update only makes one decision less informed.
/// A collision forgets the older destination (then it streams, as a cold one does).
///
/// The clock is advanced with a relaxed load and a store, not a read-modify-write: the workers
/// consult the history before each part they run, right after the previous part's copy, and a
/// locked instruction there would wait for that copy's stores to drain (once per part instead
/// of once per batch). Two workers advancing it at the same moment lose one of the two
/// additions: the clock then runs slow by that part's bytes, so a destination may count as
/// recent a little longer than the window says; never the other way.
///
/// A value over memory allocated once (``init(windowBytes:)``) and freed by ``deallocate()``:
/// the workers consult it before every part of 16 KiB or more, and a class instance would cost
/// a reference count increment and decrement there, two more locked instructions right after
/// the previous part's copy.
struct DestinationHistory: @unchecked Sendable {
    // @unchecked Sendable: the memory is accessed only through relaxed atomics, and freed only
    // once the engine's workers are gone (EngineCore.deinit).

    /// Table entries (a power of two).
    static let entryCount = 4096
    /// Bytes per clock unit.
    static let clockUnitShift = 16
    private static let clockBits = 28
    private static let clockMask: UInt64 = (1 << clockBits) - 1
    /// Words after the table: the clock, at the start of a 128-byte block of its own (the
    /// table's last line and its prefetch pair are not the clock's).
    private static let clockBlockWords = 16

    /// The reuse distance below which a destination counts as cached, in bytes.
    let windowBytes: Int
    /// ``entryCount`` entries, then the clock (bytes written through the table, in clock
    /// units) in a block of its own.
    private let words: UnsafeMutablePointer<Atomic<UInt64>>

    @inline(__always) private var clock: UnsafeMutablePointer<Atomic<UInt64>> { words + Self.entryCount }

    init(windowBytes: Int) {
        self.windowBytes = windowBytes
        let count = Self.entryCount + Self.clockBlockWords
        words = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<UInt64>.stride, alignment: 128)
            .bindMemory(to: Atomic<UInt64>.self, capacity: count)
        for index in 0..<count { (words + index).initialize(to: Atomic(0)) }
    }

    /// Frees the memory; the history must not be used afterwards.
    func deallocate() {
        words.deinitialize(count: Self.entryCount + Self.clockBlockWords)
        UnsafeMutableRawPointer(words).deallocate()
    }

    /// Records a write of `length` bytes starting at `destination` and tells whether that
    /// destination was written within the window before: true means "probably cached".
    @inline(__always)
    func recordWrite(at destination: UnsafeRawPointer, length: Int) -> Bool {
        let page = UInt64(UInt(bitPattern: destination)) >> 12
        let key = page & ((1 << 36) - 1)
        let slot = Int(truncatingIfNeeded: (page &* 0x9E37_79B9_7F4A_7C15) >> 52) & (Self.entryCount - 1)
        let units = UInt64(max(1, length >> Self.clockUnitShift))
        let now = (clock.pointee.load(ordering: .relaxed) &+ units) & Self.clockMask
        clock.pointee.store(now, ordering: .relaxed)
        let previous = words[slot].load(ordering: .relaxed)
        words[slot].store(key << Self.clockBits | now, ordering: .relaxed)
        guard previous != 0, previous >> Self.clockBits == key else { return false }
        let distance = (now &- (previous & Self.clockMask)) & Self.clockMask
        return Int(distance) << Self.clockUnitShift < windowBytes
    }
}
