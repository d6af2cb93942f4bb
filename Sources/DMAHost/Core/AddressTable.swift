internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the registry knows about an address.
enum AddressState: Equatable {
    /// A registered record with this creation sequence number.
    case live(seq: UInt64)
    /// A destroyed record (a tombstone) with the sequence number it had.
    case destroyed(seq: UInt64)

    /// The `state` word of a table slot.
    var encoded: UInt64 {
        switch self {
        case .live(let seq): seq << 1
        case .destroyed(let seq): seq << 1 | 1
        }
    }

    init(encoded: UInt64) {
        self = encoded & 1 == 0 ? .live(seq: encoded >> 1) : .destroyed(seq: encoded >> 1)
    }
}

/// The registry's address table (`struct dmahost_address_table`): the addresses of live
/// records and the tombstones of destroyed ones, so that a pointer can be classified without
/// being dereferenced.
///
/// Open addressing with linear probing, at most half full; the home slot is the top bits of
/// a Fibonacci hash of the address; removal shifts the following entries back (no deletion
/// markers). A lookup is a multiply, a shift and usually one slot.
///
/// Every function must be called with the registry mutex held: the table is C storage that
/// the mutex guards.
enum AddressTable {
    private static var table: UnsafeMutablePointer<dmahost_address_table> { dmahost_address_table() }
    /// The capacity of the first allocation, in slots.
    private static let initialCapacity: UInt64 = 64

    /// The state recorded for `address`, or nil when the table does not know it.
    @inline(__always)
    static func state(of address: UInt) -> AddressState? {
        guard let (slots, index) = find(address) else { return nil }
        return AddressState(encoded: slots[index].state)
    }

    /// Makes room for one more address, growing the table when it would become more than half
    /// full. Returns false when the memory for a larger table cannot be allocated (the table
    /// is then unchanged).
    static func reserveOne() -> Bool {
        let capacity = table.pointee.capacity
        guard (table.pointee.count + 1) * 2 > capacity else { return true }
        return rehash(into: capacity == 0 ? initialCapacity : capacity * 2)
    }

    /// Records `state` for `address`, replacing what was recorded for it. A new address needs
    /// a successful ``reserveOne()`` first.
    static func set(_ address: UInt, _ state: AddressState) {
        guard let slots = table.pointee.slots else { preconditionFailure("AddressTable.set without reserveOne()") }
        var index = home(of: address)
        let mask = Int(table.pointee.capacity - 1)
        while slots[index].address != 0 && slots[index].address != address {
            index = (index &+ 1) & mask
        }
        if slots[index].address == 0 {
            slots[index].address = address
            table.pointee.count += 1
        }
        slots[index].state = state.encoded
    }

    /// Forgets `address`; does nothing when it is not in the table.
    static func remove(_ address: UInt) {
        guard case (let slots, let found)? = find(address) else { return }
        let hole = LinearProbing.shiftBack(
            from: found, mask: Int(table.pointee.capacity - 1), isEmpty: { slots[$0].address == 0 },
            home: { home(of: slots[$0].address) }, move: { slots[$1] = slots[$0] })
        slots[hole] = dmahost_address_slot()
        table.pointee.count -= 1
    }

    /// The slots and the index of the one holding `address`, or nil. Inlined into its callers:
    /// it is the lookup get_next pays for.
    @inline(__always)
    private static func find(_ address: UInt) -> (UnsafeMutablePointer<dmahost_address_slot>, Int)? {
        guard let slots = table.pointee.slots else { return nil }
        let mask = Int(truncatingIfNeeded: table.pointee.capacity &- 1)
        var index = home(of: address)
        while true {
            let candidate = slots[index].address
            if candidate == address { return (slots, index) }
            if candidate == 0 { return nil }
            index = (index &+ 1) & mask
        }
    }

    /// The first slot probed for `address`: the top log2(capacity) bits of a Fibonacci hash.
    /// Records are 16-byte aligned, so the low four bits carry nothing and are dropped.
    @inline(__always)
    private static func home(of address: UInt) -> Int {
        let hash = UInt64(address >> 4) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: hash &>> UInt64(64 &- table.pointee.capacity.trailingZeroBitCount))
    }

    /// Moves every entry into a new array of `capacity` slots.
    private static func rehash(into capacity: UInt64) -> Bool {
        guard let raw = calloc(Int(capacity), MemoryLayout<dmahost_address_slot>.stride) else { return false }
        let old = table.pointee.slots
        let oldCapacity = Int(table.pointee.capacity)
        table.pointee.slots = raw.bindMemory(to: dmahost_address_slot.self, capacity: Int(capacity))
        table.pointee.capacity = capacity
        table.pointee.count = 0
        if let old {
            for index in 0..<oldCapacity where old[index].address != 0 {
                set(old[index].address, AddressState(encoded: old[index].state))
            }
            free(old)
        }
        return true
    }
}
