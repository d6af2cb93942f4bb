internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The registry's id index (`struct dmahost_id_index`): for every id that live records carry,
/// the chain of those records in creation order (`id_next`/`id_prev` of each record), so that
/// `get_first(id)` costs a hash of the id, usually one slot and one `strcmp`, however many
/// domains exist; and `get_next(prev, id)` from a record with that id is its `id_next`.
///
/// Open addressing with linear probing, at most half full, keyed by the id's hash (FNV-1a, 64
/// bits) and then the id itself: a copy in the slot when the id is short (most are), else the
/// copy the chain's first record owns, whose address the slot keeps; a lookup reads one
/// 64-byte slot (and the string of a long id), never a record. The home slot is the
/// top bits of a Fibonacci hash of that hash; removal shifts the following entries back
/// (``LinearProbing``). The system domain's chain is entered with the first allocation, so the
/// index knows every live record with an id, the system domain first.
///
/// Every function must be called with the registry mutex held: the index is C storage that
/// the mutex guards.
enum IDIndex {
    private static var index: UnsafeMutablePointer<dmahost_id_index> { dmahost_id_index() }
    /// The capacity of the first allocation, in slots.
    private static let initialCapacity: UInt64 = 64

    /// The 64-bit FNV-1a hash of a NUL-terminated id.
    @inline(__always)
    static func hash(_ id: UnsafePointer<CChar>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var cursor = UnsafeRawPointer(id)
        while true {
            let byte = cursor.load(as: UInt8.self)
            if byte == 0 { return hash }
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            cursor += 1
        }
    }

    /// The oldest live record whose id is `id`, or nil. `hash` is `hash(id)`.
    @inline(__always)
    static func first(id: UnsafePointer<CChar>, hash: UInt64) -> DomainRecord? {
        guard let (slots, index) = find(id, hash: hash) else { return nil }
        return slots[index].first
    }

    /// The oldest live record whose id is `id` and whose sequence number is above `seq`, or
    /// nil: the answer of a filtered get_next from a record that is not in `id`'s chain. Walks
    /// the chain (its same-id records only) back from the newest, over those created after
    /// `seq`.
    static func first(id: UnsafePointer<CChar>, after seq: UInt64) -> DomainRecord? {
        guard let (slots, index) = find(id, hash: hash(id)),
              let first = slots[index].first, let last = slots[index].last else { return nil }
        if first.pointee.seq > seq { return first }
        if last.pointee.seq <= seq { return nil }
        // The chain is ordered by seq: walk back from the newest while the previous is later.
        var cursor = last
        while let previous = cursor.pointee.id_prev, previous.pointee.seq > seq { cursor = previous }
        return cursor
    }

    /// Makes room for one more id, growing the table when it would become more than half full;
    /// the first allocation enters the system domain's chain. Returns false when the memory for
    /// a larger table cannot be allocated (the index is then unchanged).
    static func reserveOne() -> Bool {
        let capacity = index.pointee.capacity
        guard (index.pointee.count + 1) * 2 > capacity else { return true }
        guard rehash(into: capacity == 0 ? initialCapacity : capacity * 2) else { return false }
        if capacity == 0, let id = Registry.systemDomain.pointee.id {
            let system = Registry.systemDomain
            system.pointee.id_hash = hash(id)
            append(system)
        }
        return true
    }

    /// Appends a record with an id at the end of its id's chain (a new slot when it is the
    /// first live record with that id). Needs a successful ``reserveOne()`` first.
    static func append(_ record: DomainRecord) {
        guard let id = record.pointee.id, let slots = index.pointee.slots else { return }
        let hash = record.pointee.id_hash
        record.pointee.id_next = nil
        if let (_, found) = find(id, hash: hash), let last = slots[found].last {
            last.pointee.id_next = record
            record.pointee.id_prev = last
            slots[found].last = record
            return
        }
        let mask = Int(truncatingIfNeeded: index.pointee.capacity &- 1)
        var slot = home(of: hash)
        while slots[slot].first != nil { slot = (slot &+ 1) & mask }
        slots[slot] = dmahost_id_slot()
        slots[slot].hash = hash
        slots[slot].first = record
        slots[slot].last = record
        slots[slot].key = UnsafePointer(id)
        let length = strlen(id)
        if length < Int(DMAHOST_ID_SHORT_BYTES) {
            memcpy(shortKey(slots + slot), id, length + 1)
            slots[slot].short_id = 1
        }
        record.pointee.id_prev = nil
        index.pointee.count += 1
    }

    /// Takes a live record out of its id's chain (the slot goes with the chain's last record).
    static func remove(_ record: DomainRecord) {
        guard let id = record.pointee.id else { return }
        defer {
            record.pointee.id_next = nil
            record.pointee.id_prev = nil
        }
        guard case (let slots, let found)? = find(id, hash: record.pointee.id_hash) else { return }
        let next = record.pointee.id_next
        let previous = record.pointee.id_prev
        if let previous {
            previous.pointee.id_next = next
        } else {
            // The key is the first record's copy: the next record's takes over.
            slots[found].first = next
            slots[found].key = UnsafePointer(next?.pointee.id)
        }
        if let next { next.pointee.id_prev = previous } else { slots[found].last = previous }
        if slots[found].first == nil { removeSlot(at: found, in: slots) }
    }

    /// The slots and the index of the one holding the chain of `id`, or nil. Inlined into its
    /// callers: it is the lookup get_first pays for.
    @inline(__always)
    private static func find(_ id: UnsafePointer<CChar>, hash: UInt64) -> (UnsafeMutablePointer<dmahost_id_slot>, Int)? {
        guard let slots = index.pointee.slots else { return nil }
        let mask = Int(truncatingIfNeeded: index.pointee.capacity &- 1)
        var slot = home(of: hash)
        while slots[slot].first != nil {
            if slots[slot].hash == hash {
                let key = slots[slot].short_id != 0 ? UnsafePointer(shortKey(slots + slot)) : slots[slot].key
                if let key, strcmp(key, id) == 0 { return (slots, slot) }
            }
            slot = (slot &+ 1) & mask
        }
        return nil
    }

    /// The slot's own copy of a short id (`short_key`).
    @inline(__always)
    private static func shortKey(_ slot: UnsafeMutablePointer<dmahost_id_slot>) -> UnsafeMutablePointer<CChar> {
        (UnsafeMutableRawPointer(slot) + Int(DMAHOST_ID_SHORT_KEY_OFFSET)).assumingMemoryBound(to: CChar.self)
    }

    /// Empties a slot (``LinearProbing/shiftBack(from:mask:isEmpty:home:move:)``).
    private static func removeSlot(at found: Int, in slots: UnsafeMutablePointer<dmahost_id_slot>) {
        let hole = LinearProbing.shiftBack(
            from: found, mask: Int(truncatingIfNeeded: index.pointee.capacity &- 1), isEmpty: { slots[$0].first == nil },
            home: { home(of: slots[$0].hash) }, move: { slots[$1] = slots[$0] })
        slots[hole] = dmahost_id_slot()
        index.pointee.count -= 1
    }

    /// The first slot probed for an id of hash `hash`: the top log2(capacity) bits of its
    /// Fibonacci hash (FNV-1a's low bits alone mix poorly).
    @inline(__always)
    private static func home(of hash: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) &>> UInt64(64 &- index.pointee.capacity.trailingZeroBitCount))
    }

    /// Moves every chain into a new array of `capacity` slots (the records are not touched).
    private static func rehash(into capacity: UInt64) -> Bool {
        let bytes = Int(capacity) * MemoryLayout<dmahost_id_slot>.stride
        guard let raw = aligned_alloc(64, bytes) else { return false }
        memset(raw, 0, bytes)
        let old = index.pointee.slots
        let oldCapacity = Int(index.pointee.capacity)
        let slots = raw.bindMemory(to: dmahost_id_slot.self, capacity: Int(capacity))
        index.pointee.slots = slots
        index.pointee.capacity = capacity
        if let old {
            let mask = Int(truncatingIfNeeded: capacity &- 1)
            for entry in 0..<oldCapacity where old[entry].first != nil {
                var slot = home(of: old[entry].hash)
                while slots[slot].first != nil { slot = (slot &+ 1) & mask }
                slots[slot] = old[entry]
            }
            free(old)
        }
        return true
    }
}
