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
final class DestinationHistory: @unchecked Sendable {
    // @unchecked Sendable: the table is raw memory accessed only through relaxed atomics; the
    // clock is an Atomic.

    /// Table entries (a power of two).
    static let entryCount = 4096
    /// Bytes per clock unit.
    static let clockUnitShift = 16
    private static let clockBits = 28
    private static let clockMask: UInt64 = (1 << clockBits) - 1

    /// The reuse distance below which a destination counts as cached, in bytes.
    let windowBytes: Int
    private let table: UnsafeMutablePointer<Atomic<UInt64>>
    /// Bytes written through the table, in clock units.
    private let clock = Atomic<UInt64>(0)

    init(windowBytes: Int) {
        self.windowBytes = windowBytes
        table = .allocate(capacity: Self.entryCount)
        for index in 0..<Self.entryCount { (table + index).initialize(to: Atomic(0)) }
    }

    deinit {
        table.deinitialize(count: Self.entryCount)
        table.deallocate()
    }

    /// Records a write of `length` bytes starting at `destination` and tells whether that
    /// destination was written within the window before: true means "probably cached".
    @inline(__always)
    func recordWrite(at destination: UnsafeRawPointer, length: Int) -> Bool {
        let page = UInt64(UInt(bitPattern: destination)) >> 12
        let key = page & ((1 << 36) - 1)
        let slot = Int(truncatingIfNeeded: (page &* 0x9E37_79B9_7F4A_7C15) >> 52) & (Self.entryCount - 1)
        let units = UInt64(max(1, length >> Self.clockUnitShift))
        let now = clock.wrappingAdd(units, ordering: .relaxed).newValue & Self.clockMask
        let previous = table[slot].load(ordering: .relaxed)
        table[slot].store(key << Self.clockBits | now, ordering: .relaxed)
        guard previous != 0, previous >> Self.clockBits == key else { return false }
        let distance = (now &- (previous & Self.clockMask)) & Self.clockMask
        return Int(distance) << Self.clockUnitShift < windowBytes
    }
}
