import DMASync
import CIBVerbsShim
import DMADriverKit
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
/// Every cache follows the process's ``MemoryMonitor``: before a lookup it drops what was
/// unmapped, moved or discarded since (``MonitoredCache``). Without a monitor (disabled, or
/// unavailable) every registration is transient: made for the operations that need it and
/// deregistered when they end.
///
/// Thread-safe: each cache sits behind its own mutex; registration (`ibv_reg_mr`) runs with
/// that mutex held, so concurrent misses on one device are serialised.
final class Registrations: Sendable {
    /// Access rights of every registration: local write, remote read, remote write.
    static let access: AccessFlags = .readWrite

    private let pd: ProtectionDomain
    private let own: Locked<MonitoredCache<MemoryRegion>>
    private let foreign: Locked<[UInt: MonitoredCache<MemoryRegion>]>
    private let pageSize: UInt
    /// Limit of each cache in bytes.
    let limit: UInt
    /// Limit of each cache in regions.
    let regionLimit: Int
    /// What tells the caches that memory went away.
    let monitorStatus: MonitorStatus

    /// Creates the caches of a device.
    /// - Parameters:
    ///   - limit: Bytes each cache may keep registered.
    ///   - regionLimit: Regions each cache may keep registered.
    ///   - monitorStatus: The memory monitor to follow (none: register per operation).
    init(protectionDomain pd: ProtectionDomain, limit: UInt, regionLimit: Int, monitorStatus: MonitorStatus) {
        self.pd = pd
        self.limit = limit
        self.regionLimit = regionLimit
        self.monitorStatus = monitorStatus
        let pageSize = UInt(PageSize.bytes)
        self.pageSize = pageSize
        let name = pd.context.name
        own = Locked(MonitoredCache(pageSize: pageSize, maxBytes: limit, maxRegions: regionLimit, monitor: monitorStatus.monitor,
                                    register: { range throws(RegistrationFailure) in
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start) else {
                throw RegistrationFailure(errno: EINVAL, message: "cannot register the NULL page on \(name)")
            }
            do throws(VerbsError) {
                return try pd.registerMemory(address: address, length: Int(range.length), access: Registrations.access)
            } catch {
                throw RegistrationFailure(errno: error.errno, message: error.description)
            }
        }, deregister: Self.deregister))
        foreign = Locked([:])
    }

    /// Leases registrations covering every buffer (all or nothing); their keys are ignored.
    /// - Returns: One lease per buffer, in order.
    func acquire(_ buffers: ArraySlice<KeyedSegment>) throws(RegistrationCacheError) -> [RegionLease] {
        guard !buffers.isEmpty else { return [] }
        return try own.withLock { state throws(RegistrationCacheError) -> [RegionLease] in
            state.synchronize()
            let cache = state.cache
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
    ///   registration — a translation used after it was invalidated, or after its memory was
    ///   unmapped.
    func acquireKeyed(_ segments: ArraySlice<KeyedSegment>) -> [RegionLease]? {
        own.withLock { state -> [RegionLease]? in
            state.synchronize()
            let cache = state.cache
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
        own.withLock { state in
            for lease in leases { state.cache.release(lease) }
        }
    }

    /// Gives back the leases of finished operations, under one lock.
    func release(leasesOf operations: [Operation]) {
        guard operations.contains(where: { !$0.leases.isEmpty }) else { return }
        own.withLock { state in
            for operation in operations {
                for lease in operation.leases { state.cache.release(lease) }
            }
        }
    }

    /// Keys for `length` bytes at `address`, registered in the backend's protection domain, or
    /// in `foreignPD` when that is another one. The region stays registered (pinned) until an
    /// invalidation covers it — an explicit one, or the monitor's when the memory goes away —
    /// so the keys stay valid for the caller until then.
    func translate(address: UInt, length: UInt, foreignPD: UnsafeMutablePointer<ibv_pd>?) throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) {
        if let foreignPD, foreignPD != pd.raw {
            let key = UInt(bitPattern: foreignPD)
            let pageSize = pageSize
            let limit = limit
            let regionLimit = regionLimit
            let monitor = monitorStatus.monitor
            return try foreign.withLock { caches throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) in
                if caches[key] == nil {
                    caches[key] = Self.makeForeignCache(key, pageSize: pageSize, limit: limit, regionLimit: regionLimit, monitor: monitor)
                }
                caches[key]?.synchronize()
                guard let cache = caches[key]?.cache else { throw .invalidRange(address: address, length: length) }
                return try Self.pinnedKeys(in: cache, address: address, length: length)
            }
        }
        return try own.withLock { state throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) in
            state.synchronize()
            return try Self.pinnedKeys(in: state.cache, address: address, length: length)
        }
    }

    /// Registers (or finds) the buffer, pins it and returns its keys.
    private static func pinnedKeys(in cache: RegistrationCache<MemoryRegion>, address: UInt, length: UInt) throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) {
        let lease = try cache.acquire(address: address, length: length)
        cache.pin(lease)
        cache.release(lease)
        return (lease.handle.lkey, lease.handle.rkey)
    }

    /// Drops registrations overlapping the buffer in every cache.
    /// - Returns: The number of regions affected.
    @discardableResult
    func invalidate(address: UInt, length: UInt) -> Int {
        let ownCount = own.withLock { $0.cache.invalidate(address: address, length: length) }
        let foreignCount = foreign.withLock { caches in
            caches.values.reduce(0) { $0 + $1.cache.invalidate(address: address, length: length) }
        }
        return ownCount + foreignCount
    }

    /// Deregisters everything (device close, after the operations ended).
    func removeAll() {
        own.withLock { _ = $0.cache.removeAll() }
        foreign.withLock { caches in
            for state in caches.values { state.cache.removeAll() }
            caches.removeAll()
        }
    }

    /// Counters of the backend's own cache, with the monitor's invalidations applied so far.
    var statistics: RegistrationStatistics {
        own.withLock { state in
            state.synchronize()
            return RegistrationStatistics(cache: state.cache.statistics, monitorInvalidations: state.monitorInvalidations,
                                          monitorResets: state.resets)
        }
    }

    /// Number of foreign protection domains translated into.
    var foreignDomainCount: Int { foreign.withLock { $0.count } }

    private static func makeForeignCache(_ key: UInt, pageSize: UInt, limit: UInt, regionLimit: Int,
                                         monitor: MemoryMonitor?) -> sending MonitoredCache<MemoryRegion> {
        MonitoredCache(pageSize: pageSize, maxBytes: limit, maxRegions: regionLimit, monitor: monitor,
                       register: { range throws(RegistrationFailure) in
            guard let address = UnsafeMutableRawPointer(bitPattern: range.start),
                  let pd = UnsafeMutablePointer<ibv_pd>(bitPattern: key) else {
                throw RegistrationFailure(errno: EINVAL, message: "cannot register the NULL page")
            }
            do throws(VerbsError) {
                return try MemoryRegion.register(inForeign: pd, address: address, length: Int(range.length), access: Registrations.access)
            } catch {
                throw RegistrationFailure(errno: error.errno, message: error.description)
            }
        }, deregister: deregister)
    }

    /// The caches' deregistration: nothing to do here. Dropping the last reference runs
    /// `ibv_dereg_mr` (`MemoryRegion.deinit`); leases held by in-flight operations keep the
    /// region registered until they end.
    private static func deregister(_ region: MemoryRegion) {}
}

/// The registration counters of a device: its own cache's (read through, e.g. `.hits`), and
/// what the memory monitor did to it.
@dynamicMemberLookup
public struct RegistrationStatistics: Sendable, Equatable {
    /// The cache's own counters (hits, misses, evictions, bytes, …).
    public var cache: RegistrationCacheStatistics
    /// Regions dropped because their memory was unmapped, moved or discarded.
    public var monitorInvalidations: UInt64
    /// Times the cache fell behind the monitor and dropped every registration.
    public var monitorResets: UInt64

    /// A counter of the cache.
    public subscript<Value>(dynamicMember path: KeyPath<RegistrationCacheStatistics, Value>) -> Value { cache[keyPath: path] }
}
