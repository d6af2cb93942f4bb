import DMASync
import CIBVerbsShim
import RegistrationCache
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A lease on a registered region of the engine's own protection domain.
typealias RegionLease = RegistrationLease<MemoryRegion>

/// The memory registrations of one open device: a ``RegistrationCache`` for the backend's own
/// protection domain (used by every operation and by translations into this device's
/// domains), plus one cache per foreign protection domain a caller translated into (through
/// the `ibv_qp` of a translation context or the `ibv_pd` of a destination domain).
///
/// Thread-safe: each cache sits behind its own mutex; registration (`ibv_reg_mr`) runs with
/// that mutex held, so concurrent misses on one device are serialised.
final class Registrations: Sendable {
    /// Access rights of every registration: local write, remote read, remote write.
    static let access: AccessFlags = .readWrite

    private let pd: ProtectionDomain
    private let own: Locked<RegistrationCache<MemoryRegion>>
    private let foreign: Locked<[UInt: RegistrationCache<MemoryRegion>]>
    private let pageSize: UInt
    /// Limit of each cache in bytes.
    let limit: UInt

    /// Creates the caches of a device.
    /// - Parameter limit: Bytes each cache may keep registered.
    init(protectionDomain pd: ProtectionDomain, limit: UInt) {
        self.pd = pd
        self.limit = limit
        let pageSize = UInt(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
        self.pageSize = pageSize
        let name = pd.context.name
        own = Locked(RegistrationCache(pageSize: pageSize, maxBytes: limit, register: { range throws(RegistrationFailure) in
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start) else {
                throw RegistrationFailure(errno: EINVAL, message: "cannot register the NULL page on \(name)")
            }
            do throws(VerbsError) {
                return try pd.registerMemory(address: address, length: Int(range.length), access: Registrations.access)
            } catch {
                throw RegistrationFailure(errno: error.errno, message: error.description)
            }
        }, deregister: { _ in
            // Dropping the last reference runs ibv_dereg_mr (MemoryRegion.deinit); leases
            // still held by in-flight operations keep the region registered until they end.
        }))
        foreign = Locked([:])
    }

    /// Leases registrations covering every buffer (all or nothing); their keys are ignored.
    /// - Returns: One lease per buffer, in order.
    func acquire(_ buffers: ArraySlice<KeyedSegment>) throws(RegistrationCacheError) -> [RegionLease] {
        guard !buffers.isEmpty else { return [] }
        return try own.withLock { cache throws(RegistrationCacheError) -> [RegionLease] in
            var leases: [RegionLease] = []
            leases.reserveCapacity(buffers.count)
            for buffer in buffers {
                do throws(RegistrationCacheError) {
                    leases.append(try cache.acquire(address: UInt(buffer.address), length: UInt(buffer.length)))
                } catch {
                    for lease in leases { cache.release(lease) }
                    throw error
                }
            }
            return leases
        }
    }

    /// Leases the registrations a caller's keys refer to: for each segment, a region of the
    /// backend's protection domain that is still registered, covers it and has its lkey.
    /// - Returns: One lease per segment, or nil (nothing leased) when a key names no current
    ///   registration — a translation used after it was invalidated.
    func acquireKeyed(_ segments: ArraySlice<KeyedSegment>) -> [RegionLease]? {
        own.withLock { cache -> [RegionLease]? in
            var leases: [RegionLease] = []
            for segment in segments where segment.length > 0 {
                guard let lease = cache.acquireRegistered(address: UInt(segment.address), length: UInt(segment.length),
                                                          where: { $0.lkey == segment.key }) else {
                    for lease in leases { cache.release(lease) }
                    return nil
                }
                leases.append(lease)
            }
            return leases
        }
    }

    /// Gives leases back.
    func release(_ leases: [RegionLease]) {
        guard !leases.isEmpty else { return }
        own.withLock { cache in
            for lease in leases { cache.release(lease) }
        }
    }

    /// Gives back the leases of finished operations, under one lock.
    func release(leasesOf operations: [Operation]) {
        guard operations.contains(where: { !$0.leases.isEmpty }) else { return }
        own.withLock { cache in
            for operation in operations {
                for lease in operation.leases { cache.release(lease) }
            }
        }
    }

    /// Keys for `length` bytes at `address`, registered in the backend's protection domain, or
    /// in `foreignPD` when that is another one. The region stays registered (pinned) until an
    /// invalidation covers it, so the keys stay valid for the caller.
    func translate(address: UInt, length: UInt, foreignPD: UnsafeMutablePointer<ibv_pd>?) throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) {
        if let foreignPD, foreignPD != pd.raw {
            let key = UInt(bitPattern: foreignPD)
            let pageSize = pageSize
            let limit = limit
            return try foreign.withLock { caches throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) in
                if caches[key] == nil { caches[key] = Self.makeForeignCache(key, pageSize: pageSize, limit: limit) }
                guard let cache = caches[key] else { throw .invalidRange(address: address, length: length) }
                let lease = try cache.acquire(address: address, length: length)
                cache.pin(lease)
                cache.release(lease)
                return (lease.handle.lkey, lease.handle.rkey)
            }
        }
        return try own.withLock { cache throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) in
            let lease = try cache.acquire(address: address, length: length)
            cache.pin(lease)
            cache.release(lease)
            return (lease.handle.lkey, lease.handle.rkey)
        }
    }

    /// Drops registrations overlapping the buffer in every cache.
    /// - Returns: The number of regions affected.
    @discardableResult
    func invalidate(address: UInt, length: UInt) -> Int {
        let ownCount = own.withLock { $0.invalidate(address: address, length: length) }
        let foreignCount = foreign.withLock { caches in
            caches.values.reduce(0) { $0 + $1.invalidate(address: address, length: length) }
        }
        return ownCount + foreignCount
    }

    /// Deregisters everything (device close, after the operations ended).
    func removeAll() {
        own.withLock { _ = $0.removeAll() }
        foreign.withLock { caches in
            for cache in caches.values { cache.removeAll() }
            caches.removeAll()
        }
    }

    /// Counters of the backend's own cache.
    var statistics: RegistrationCacheStatistics { own.withLock { $0.statistics } }

    /// Number of foreign protection domains translated into.
    var foreignDomainCount: Int { foreign.withLock { $0.count } }

    private static func makeForeignCache(_ key: UInt, pageSize: UInt, limit: UInt) -> sending RegistrationCache<MemoryRegion> {
        RegistrationCache(pageSize: pageSize, maxBytes: limit, register: { range throws(RegistrationFailure) in
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start),
                  let pd = UnsafeMutablePointer<ibv_pd>(bitPattern: key) else {
                throw RegistrationFailure(errno: EINVAL, message: "cannot register the NULL page")
            }
            do throws(VerbsError) {
                return try MemoryRegion.register(inForeign: pd, address: address, length: Int(range.length), access: Registrations.access)
            } catch {
                throw RegistrationFailure(errno: error.errno, message: error.description)
            }
        }, deregister: { _ in })
    }
}
