internal import CDMAHostRegistry

/// Destroyed records, in order of destruction: the last `DMAHOST_GRAVEYARD_RECORDS` of them in
/// a ring (`dmahost_graves`).
///
/// The newest `DMAHOST_QUARANTINE_RECORDS` graves are the quarantine: their records are still
/// allocated, so that a thread that obtained the pointer before the destroy can still read
/// the record's fields. A record is freed when it leaves the quarantine. Its tombstone in the
/// ``AddressTable`` stays until the grave itself is reused (so get_next still recognises the
/// pointer), unless a new record took the address in between.
///
/// Every function must be called with the registry mutex held.
enum Graveyard {
    private static let quarantine = UInt64(DMAHOST_QUARANTINE_RECORDS)
    private static let capacity = UInt64(DMAHOST_GRAVEYARD_RECORDS)

    /// Buries a record that was just destroyed (already a tombstone in the address table).
    /// - Returns: The record that leaves the quarantine with this burial, which the caller
    ///   frees once the mutex is released; nil when there is none or when a reclamation hold
    ///   defers it (it is then on the deferred list).
    static func bury(_ record: DomainRecord, seq: UInt64) -> DomainRecord? {
        let registry = dmahost_registry()
        let graves = dmahost_graveyard()
        let ordinal = registry.pointee.destroyed
        var leaving: DomainRecord?
        if ordinal >= quarantine {
            leaving = graves[Int((ordinal - quarantine) & (capacity - 1))].record
        }
        let slot = Int(ordinal & (capacity - 1))
        if ordinal >= capacity {
            // The oldest grave is reused: its tombstone goes, unless the address was taken by
            // a newer record (live, or destroyed again with another seq).
            let evicted = graves[slot]
            let address = UInt(bitPattern: evicted.record)
            if AddressTable.state(of: address) == .destroyed(seq: evicted.seq) {
                AddressTable.remove(address)
            }
        }
        graves[slot] = dmahost_grave(record: record, seq: seq)
        registry.pointee.destroyed = ordinal + 1
        if let record = leaving, registry.pointee.reclamation_holds > 0 {
            record.pointee.next = registry.pointee.deferred
            registry.pointee.deferred = record
            return nil
        }
        return leaving
    }

    /// Takes a reclamation hold: records leaving the quarantine are not freed until every
    /// hold is released.
    static func hold() {
        dmahost_registry().pointee.reclamation_holds += 1
    }

    /// Releases a hold.
    /// - Returns: The deferred records (linked through `next`) when this was the last hold;
    ///   the caller frees them once the mutex is released.
    static func release() -> DomainRecord? {
        let registry = dmahost_registry()
        registry.pointee.reclamation_holds -= 1
        guard registry.pointee.reclamation_holds == 0 else { return nil }
        defer { registry.pointee.deferred = nil }
        return registry.pointee.deferred
    }
}
