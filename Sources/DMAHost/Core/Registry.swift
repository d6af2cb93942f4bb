import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process-wide list of memory domains, in creation order, system domain first.
///
/// The list and its lock are statically initialised C storage (`dmahost_registry`), so the
/// registry exists before any call and needs no lazy initialisation. All list links are
/// read and written with the lock held; callbacks are never invoked under it.
enum Registry {
    /// The system domain record (static, never freed).
    static var systemDomain: DomainRecord { dmahost_system_domain() }

    /// Appends a record at the tail.
    static func append(_ record: DomainRecord) {
        dmahost_registry_lock()
        let registry = dmahost_registry()
        record.pointee.prev = registry.pointee.tail
        record.pointee.next = nil
        if let tail = registry.pointee.tail {
            tail.pointee.next = record
        } else {
            registry.pointee.head = record
        }
        registry.pointee.tail = record
        registry.pointee.count += 1
        dmahost_registry_unlock()
    }

    /// Unlinks a record. Returns false (and changes nothing) when the record is not in the
    /// registry, e.g. a pointer that was already destroyed.
    static func remove(_ record: DomainRecord) -> Bool {
        dmahost_registry_lock()
        defer { dmahost_registry_unlock() }
        let registry = dmahost_registry()
        var cursor = registry.pointee.head
        while let current = cursor, current != record { cursor = current.pointee.next }
        guard cursor != nil else { return false }
        if let prev = record.pointee.prev { prev.pointee.next = record.pointee.next } else { registry.pointee.head = record.pointee.next }
        if let next = record.pointee.next { next.pointee.prev = record.pointee.prev } else { registry.pointee.tail = record.pointee.prev }
        record.pointee.next = nil
        record.pointee.prev = nil
        registry.pointee.count -= 1
        return true
    }

    /// The first record at or after `start` whose id equals `id` (any record when `id` is nil).
    /// Must be called with the lock held. Records without an id never match an id.
    static func firstMatch(from start: DomainRecord?, id: UnsafePointer<CChar>?) -> DomainRecord? {
        guard let id else { return start }
        var cursor = start
        while let current = cursor {
            if let candidate = current.pointee.id, strcmp(candidate, id) == 0 { return current }
            cursor = current.pointee.next
        }
        return nil
    }

    /// First record matching `id` (any when nil).
    static func first(id: UnsafePointer<CChar>?) -> DomainRecord? {
        dmahost_registry_lock()
        let found = firstMatch(from: dmahost_registry().pointee.head, id: id)
        dmahost_registry_unlock()
        return found
    }

    /// Next record after `previous` matching `id` (any when nil).
    static func next(after previous: DomainRecord, id: UnsafePointer<CChar>?) -> DomainRecord? {
        dmahost_registry_lock()
        let found = firstMatch(from: previous.pointee.next, id: id)
        dmahost_registry_unlock()
        return found
    }

    /// Every record matching `id` (all when nil), in creation order, collected under one
    /// acquisition of the lock: records other threads destroy meanwhile are never touched.
    static func snapshot(id: UnsafePointer<CChar>?) -> [DomainRecord] {
        var found: [DomainRecord] = []
        dmahost_registry_lock()
        var cursor = firstMatch(from: dmahost_registry().pointee.head, id: id)
        while let current = cursor {
            found.append(current)
            cursor = firstMatch(from: current.pointee.next, id: id)
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
}
