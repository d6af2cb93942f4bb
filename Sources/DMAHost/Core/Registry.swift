import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process-wide list of memory domains, in creation order, system domain first.
///
/// The list, its lock, the ``AddressTable`` of live and destroyed records, the ``IDIndex`` of
/// live records by id and the ``Graveyard`` of destroyed ones are statically initialised C
/// storage (`dmahost_registry`),
/// so the registry exists before any call and needs no lazy initialisation. All of it is read
/// and written with the lock held; callbacks are never invoked under it. Destroyed records are
/// freed only after the lock is released.
enum Registry {
    /// What a pointer given to the library is.
    enum Membership: Equatable {
        /// The system domain.
        case system
        /// A registered domain.
        case live
        /// A domain that was destroyed (its tombstone is still known).
        case destroyed
        /// Not a domain the registry knows: never created, or destroyed too long ago.
        case unknown
    }

    /// What follows a pointer in a walk.
    enum Successor: Equatable {
        /// The next matching domain, or nil at the end.
        case found(DomainRecord?)
        /// The pointer is not one the registry knows; there is no answer.
        case unknownPrevious
    }

    /// The system domain record (static, never freed).
    static var systemDomain: DomainRecord { dmahost_system_domain() }

    /// Appends a record at the tail, gives it the next sequence number, enters it in the
    /// address table (replacing the tombstone of an earlier record at the same address) and,
    /// when it has an id, at the end of its id's chain in the id index.
    /// - Throws: ``DMAError/outOfMemory(_:)`` when the address table or the id index cannot
    ///   grow; the record is then not registered and still belongs to the caller.
    static func append(_ record: DomainRecord) throws(DMAError) {
        // Counts kept under this address belong to an earlier, destroyed domain.
        CompletionFaults.forget(domain: address(of: record))
        // Hashed before the lock is taken: the id is the record's own copy, nobody else's yet.
        record.pointee.id_hash = record.pointee.id.map { IDIndex.hash($0) } ?? 0
        dmahost_registry_lock()
        defer { dmahost_registry_unlock() }
        guard AddressTable.reserveOne() else {
            throw .outOfMemory("cannot grow the memory domain registry's address table")
        }
        guard IDIndex.reserveOne() else {
            throw .outOfMemory("cannot grow the memory domain registry's id index")
        }
        let registry = dmahost_registry()
        registry.pointee.last_seq += 1
        record.pointee.seq = registry.pointee.last_seq
        record.pointee.prev = registry.pointee.tail
        record.pointee.next = nil
        if let tail = registry.pointee.tail {
            tail.pointee.next = record
        } else {
            registry.pointee.head = record
        }
        registry.pointee.tail = record
        registry.pointee.count += 1
        AddressTable.set(address(of: record), .live(seq: record.pointee.seq))
        IDIndex.append(record)
    }

    /// Destroys a registered record: unlinks it, marks it destroyed, clears its callbacks (to
    /// the stubs: a dispatch through a stale pointer then reports -ENOTSUP), turns its address into a
    /// tombstone, buries it and counts it in the word plugins watch (``domainsDestroyed``). Frees the record that leaves the quarantine, if any, after
    /// releasing the lock. Anything but a live record is left untouched and never dereferenced.
    /// - Returns: What `record` was: `.live` when it was destroyed by this call.
    static func destroy(_ record: DomainRecord) -> Membership {
        dmahost_registry_lock()
        let membership = classify(record)
        var leaving: DomainRecord?
        if membership == .live {
            unlink(record)
            IDIndex.remove(record)
            record.pointee.flags |= DMAHOST_DOMAIN_FLAG_DESTROYED
            DomainRecordStorage.clearCallbacks(of: record)
            AddressTable.set(address(of: record), .destroyed(seq: record.pointee.seq))
            leaving = Graveyard.bury(record, seq: record.pointee.seq)
            dmahost_count_domain_destroyed()
        }
        dmahost_registry_unlock()
        if let leaving { DomainRecordStorage.release(leaving) }
        return membership
    }

    /// The number of domains destroyed so far (`dmahost_host_api.domains_destroyed`): plugins
    /// that remember which domain addresses are theirs look again once it changed.
    static var domainsDestroyed: UnsafePointer<UInt64> { dmahost_domains_destroyed() }

    /// Runs `update` on `record` with the lock held if, and only if, it is a registered
    /// (non-system) domain.
    /// - Returns: What `record` is; `update` ran when it is `.live`.
    static func update(_ record: DomainRecord, _ update: (DomainRecord) -> Void) -> Membership {
        dmahost_registry_lock()
        defer { dmahost_registry_unlock() }
        let membership = classify(record)
        if membership == .live { update(record) }
        return membership
    }

    /// The oldest registered record whose id equals `id`, the system domain included. Must be
    /// called with the lock held. Records without an id never match an id.
    ///
    /// Through the ``IDIndex``: a hash of `id`, usually one slot and one `strcmp`, whatever the
    /// number of domains. Before the first record is created the index is not allocated and the
    /// system domain is the only record.
    private static func oldest(id: UnsafePointer<CChar>) -> DomainRecord? {
        if dmahost_id_index().pointee.slots == nil {
            let system = systemDomain
            guard let candidate = system.pointee.id, strcmp(candidate, id) == 0 else { return nil }
            return system
        }
        return IDIndex.first(id: id, hash: IDIndex.hash(id))
    }

    /// The first registered record after the live (or system) record `previous` whose id
    /// equals `id` (any record when nil). Must be called with the lock held.
    private static func successor(ofLive previous: DomainRecord, id: UnsafePointer<CChar>?) -> DomainRecord? {
        guard let id else { return previous.pointee.next }
        if let own = previous.pointee.id, strcmp(own, id) == 0 { return previous.pointee.id_next }
        return IDIndex.first(id: id, after: previous.pointee.seq)
    }

    /// First record matching `id` (any when nil).
    static func first(id: UnsafePointer<CChar>?) -> DomainRecord? {
        dmahost_registry_lock()
        let found = id.map(oldest) ?? dmahost_registry().pointee.head
        dmahost_registry_unlock()
        return found
    }

    /// Next record after `previous` matching `id` (any when nil).
    ///
    /// `previous` is looked up before it is dereferenced: when it is registered the walk
    /// continues from its successor (in its id's chain when it carries `id`); when it was
    /// destroyed, from the first registered record created after it, found by sequence number
    /// in `id`'s chain (or, unfiltered, walking the list from the head); when the registry does
    /// not know it, there is no answer.
    static func next(after previous: DomainRecord, id: UnsafePointer<CChar>?) -> Successor {
        dmahost_registry_lock()
        defer { dmahost_registry_unlock() }
        if previous == systemDomain {
            return .found(successor(ofLive: previous, id: id))
        }
        switch AddressTable.state(of: address(of: previous)) {
        case .live:
            return .found(successor(ofLive: previous, id: id))
        case .destroyed(let seq):
            if let id { return .found(IDIndex.first(id: id, after: seq)) }
            var cursor = dmahost_registry().pointee.head
            while let current = cursor, current.pointee.seq <= seq { cursor = current.pointee.next }
            return .found(cursor)
        case nil:
            return .unknownPrevious
        }
    }

    /// Every record matching `id` (all when nil), in creation order, collected under one
    /// acquisition of the lock: records other threads destroy meanwhile are never touched.
    static func snapshot(id: UnsafePointer<CChar>?) -> [DomainRecord] {
        var found: [DomainRecord] = []
        dmahost_registry_lock()
        var cursor = id.map(oldest) ?? dmahost_registry().pointee.head
        while let current = cursor {
            found.append(current)
            cursor = id == nil ? current.pointee.next : current.pointee.id_next
        }
        dmahost_registry_unlock()
        return found
    }

    /// Number of registered domains, system domain included.
    static var count: Int {
        dmahost_registry_lock()
        defer { dmahost_registry_unlock() }
        return Int(dmahost_registry().pointee.count)
    }

    /// Runs `body` while no destroyed record is freed: records leaving the quarantine meanwhile
    /// are freed when the last such call returns.
    ///
    /// For code that reads domains other threads may destroy, for longer than the quarantine
    /// guarantees (`DMAHOST_QUARANTINE_RECORDS` destroys in the whole process), such as tests
    /// that walk the registry while unrelated tests in the same process destroy domains.
    static func withReclamationDeferred<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        dmahost_registry_lock()
        Graveyard.hold()
        dmahost_registry_unlock()
        defer {
            dmahost_registry_lock()
            var deferred = Graveyard.release()
            dmahost_registry_unlock()
            while let record = deferred {
                deferred = record.pointee.next
                DomainRecordStorage.release(record)
            }
        }
        return try body()
    }

    /// What `record` is. Must be called with the lock held; dereferences nothing.
    private static func classify(_ record: DomainRecord) -> Membership {
        if record == systemDomain { return .system }
        switch AddressTable.state(of: address(of: record)) {
        case .live: return .live
        case .destroyed: return .destroyed
        case nil: return .unknown
        }
    }

    /// Removes a live record from the list. Must be called with the lock held.
    private static func unlink(_ record: DomainRecord) {
        let registry = dmahost_registry()
        if let prev = record.pointee.prev { prev.pointee.next = record.pointee.next } else { registry.pointee.head = record.pointee.next }
        if let next = record.pointee.next { next.pointee.prev = record.pointee.prev } else { registry.pointee.tail = record.pointee.prev }
        record.pointee.next = nil
        record.pointee.prev = nil
        registry.pointee.count -= 1
    }

    @inline(__always)
    private static func address(of record: DomainRecord) -> UInt { UInt(bitPattern: record) }
}
