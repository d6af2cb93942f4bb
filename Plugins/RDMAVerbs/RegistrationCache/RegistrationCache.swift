/// A cache of memory registrations keyed by page-aligned virtual address ranges.
///
/// What it does, independent of RDMA (the registration itself is injected):
/// - **Intervals.** Live regions never overlap and are kept sorted by address; a lookup is a
///   binary search. A request is rounded out to whole pages.
/// - **Merge.** A request that no live region covers is registered as the hull of itself, of
///   every live region it overlaps, and of every *idle* live region it touches (ends where the
///   request begins or begins where it ends); those regions leave the lookup (they are
///   *retired*) and are deregistered as soon as nobody uses them. Touching regions that are in
///   use or pinned are left alone: absorbing them would keep two registrations of their pages
///   alive until they are released, and a stream of adjacent requests in flight would register
///   ever larger hulls. If the hull would exceed the limit, or cannot be registered (a merged
///   neighbour's memory was freed without an invalidate: EFAULT), only the request is
///   registered and only the regions it overlaps are retired.
/// - **Reference counts.** ``acquire(address:length:)`` returns a lease and counts a
///   reference; ``release(_:)`` gives it back. A referenced region is never deregistered.
/// - **Pins.** ``pin(_:)`` keeps a region registered (even once retired) until an
///   ``invalidate(address:length:)`` covering it: the keys a translation handed out stay valid.
/// - **Limit and LRU.** The bytes of all registered regions (live and retired) stay within
///   `maxBytes`, and their number within `maxRegions`: before registering, the least recently
///   acquired idle regions (no references, not pinned) are evicted, oldest first, down to an
///   eighth below the limits (in whole pages and regions), so that eviction is paid in batches. A
///   registration that cannot fit even then fails with ``RegistrationCacheError/limitReached``.
/// - **Watched and transient regions.** A cache is only as good as its knowledge that the
///   pages registered at an address are still the ones mapped there. Before registering, the
///   cache asks the injected `watch` function to have the range watched (a memory monitor
///   that reports unmapping, remapping and dropped pages through ``invalidate(address:length:)``).
///   A region whose range cannot be watched is *transient*: it serves the operations that
///   hold it and is deregistered as soon as it is idle, so it is never reused on trust.
///   Without a `watch` function every region is watched (the owner invalidates by itself).
///
/// Not thread-safe: the owner serialises all calls (the RDMA engine holds it in a mutex).
/// The injected functions are called synchronously from within these methods.
///
/// The per-operation paths (a hit in ``acquire(address:length:)``, ``release(_:)``) are
/// `@inlinable`, so that the owner's module specialises them for its handle type: unspecialised
/// generic code looks up type metadata on every access, which made a hit cost more than the
/// RDMA work request it was for.
public final class RegistrationCache<Handle> {
    /// Registers a page range and returns its handle, or throws why it could not.
    public typealias Register = (PageRange) throws(RegistrationFailure) -> Handle
    /// Deregisters a handle returned by the registration function. Called exactly once per handle.
    public typealias Deregister = (Handle) -> Void
    /// Has a page range watched for unmapping; false when it cannot be (the region is then transient).
    public typealias Watch = (PageRange) -> Bool

    @usableFromInline
    final class Region {
        @usableFromInline let id: UInt64
        @usableFromInline let range: PageRange
        @usableFromInline let handle: Handle
        @usableFromInline var references = 0
        @usableFromInline var pinned = false
        @usableFromInline var live = true
        @usableFromInline var lastUse: UInt64
        /// Not watched: deregistered as soon as it is idle.
        @usableFromInline let transient: Bool

        @usableFromInline
        init(id: UInt64, range: PageRange, handle: Handle, lastUse: UInt64, transient: Bool) {
            self.id = id
            self.range = range
            self.handle = handle
            self.lastUse = lastUse
            self.transient = transient
        }

        @inlinable
        var idle: Bool { references == 0 && !pinned }
    }

    /// Page size the ranges are aligned to.
    public let pageSize: UInt
    /// Upper bound of registered bytes (live and retired regions together).
    public let maxBytes: UInt
    /// Upper bound of registered regions (live and retired together).
    public let maxRegions: Int
    private let register: Register
    private let deregister: Deregister
    private let watch: Watch?

    /// Live regions sorted by start address, never overlapping.
    @usableFromInline var live: [Region] = []
    /// Every region still registered (live and retired), by id.
    @usableFromInline var byID: [UInt64: Region] = [:]
    private var nextID: UInt64 = 1
    /// Advances at each acquisition; a region's `lastUse` orders the LRU eviction.
    @usableFromInline var clock: UInt64 = 0
    @usableFromInline var counters = RegistrationCacheStatistics()

    /// Creates an empty cache.
    /// - Parameters:
    ///   - pageSize: Alignment of registrations; a power of two (e.g. `sysconf(_SC_PAGESIZE)`).
    ///   - maxBytes: Limit of registered bytes.
    ///   - maxRegions: Limit of registered regions (at least 1).
    ///   - watch: Called with each range before it is registered; nil: every region is watched.
    ///   - register: Called to register a range that no live region covers.
    ///   - deregister: Called when a region is evicted, invalidated, retired and idle, or removed.
    public init(pageSize: UInt, maxBytes: UInt, maxRegions: Int = .max, watch: Watch? = nil,
                register: @escaping Register, deregister: @escaping Deregister) {
        self.pageSize = pageSize
        self.maxBytes = maxBytes
        self.maxRegions = max(1, maxRegions)
        self.watch = watch
        self.register = register
        self.deregister = deregister
    }

    deinit {
        removeAll()
    }

    /// Finds or makes a registration covering `length` bytes at `address` and takes a reference.
    /// - Returns: A lease; give it back with ``release(_:)``.
    /// - Throws: ``RegistrationCacheError``; nothing changed in the cache except evictions.
    @inlinable
    public func acquire(address: UInt, length: UInt) throws(RegistrationCacheError) -> RegistrationLease<Handle> {
        guard let wanted = PageRange(covering: address, length: length, pageSize: pageSize) else {
            throw .invalidRange(address: address, length: length)
        }
        clock &+= 1
        let index = lastIndex(startingAtOrBefore: wanted.start)
        if let index, live[index].range.contains(wanted) {
            let region = live[index]
            region.references += 1
            region.lastUse = clock
            counters.hits += 1
            return lease(region)
        }
        return try acquireMissing(wanted, near: index)
    }

    /// The miss path of ``acquire(address:length:)``: registers `wanted` (merged with what it
    /// overlaps or touches); `index` is the last live region starting at or before it.
    @usableFromInline
    func acquireMissing(_ wanted: PageRange, near index: Int?) throws(RegistrationCacheError) -> RegistrationLease<Handle> {
        counters.misses += 1
        guard wanted.length <= maxBytes else { throw .tooLarge(requested: wanted.length, limit: maxBytes) }
        return try insert(wanted, near: index, merging: true)
    }

    /// Registers `wanted`, with `merging` as the hull of what it overlaps or touches, else alone
    /// (retiring what it overlaps), and makes it live with one reference.
    private func insert(_ wanted: PageRange, near index: Int?, merging: Bool) throws(RegistrationCacheError) -> RegistrationLease<Handle> {
        // Live regions that overlap or touch the request are contiguous in `live`; of the
        // touching ones (at most one at each end) only idle ones are merged.
        var first = index.map { live[$0].range.overlapsOrTouches(wanted) ? $0 : $0 + 1 } ?? 0
        var last = first
        while last < live.count, live[last].range.start <= wanted.end { last += 1 }
        if first < last, !live[first].range.overlaps(wanted), !live[first].idle { first += 1 }
        if first < last, !live[last - 1].range.overlaps(wanted), !live[last - 1].idle { last -= 1 }
        var target = live[first..<last].reduce(wanted) { $0.hull($1.range) }
        if !merging || target.length > maxBytes {
            // Not merging, or merging would exceed the limit: register only the request, retire
            // what it overlaps.
            target = wanted
            while first < last, !live[first].range.overlaps(wanted) { first += 1 }
            while last > first, !live[last - 1].range.overlaps(wanted) { last -= 1 }
        }
        let merged = Array(live[first..<last])
        let reclaimed = merged.filter(\.idle).reduce(0) { $0 + $1.range.length }
        try makeRoom(for: target.length, reclaiming: reclaimed, sparing: Set(merged.map(\.id)))

        // Watched before it is registered: an unmap between the two is reported, never missed.
        let transient = watch.map { !$0(target) } ?? false
        let handle: Handle
        do throws(RegistrationFailure) {
            handle = try register(target)
        } catch {
            // A merged neighbour may be memory that was freed without the cache hearing of it
            // (no monitor, or a range it could not watch): then the hull cannot be registered
            // (EFAULT) where the request alone can. Try the request alone.
            guard target == wanted else {
                return try insert(wanted, near: lastIndex(startingAtOrBefore: wanted.start), merging: false)
            }
            throw .registrationFailed(error)
        }
        let region = Region(id: nextID, range: target, handle: handle, lastUse: clock, transient: transient)
        nextID += 1
        region.references = 1
        // `makeRoom` may have evicted regions before `first` (never merged ones): find them again.
        if let head = merged.first, let lower = live.firstIndex(where: { $0 === head }) {
            live.removeSubrange(lower..<(lower + merged.count))
        }
        live.insert(region, at: insertionIndex(for: region.range.start))
        byID[region.id] = region
        counters.registrations += 1
        counters.registeredBytes += target.length
        if transient { counters.transientRegistrations += 1 }
        if merged.count > 0 { counters.merges += 1 }
        for old in merged { retire(old) }
        return lease(region)
    }

    /// Takes a reference on a region that is still registered (live, or retired but referenced
    /// or pinned), covers `length` bytes at `address` and whose handle satisfies `matches` —
    /// e.g. whose lkey is the one a caller's translation carries. Never registers anything.
    /// - Returns: A lease to give back with ``release(_:)``, or nil when no such region exists
    ///   (the translation was invalidated, or never came from this cache).
    public func acquireRegistered(address: UInt, length: UInt, where matches: (Handle) -> Bool) -> RegistrationLease<Handle>? {
        guard let wanted = PageRange(covering: address, length: length, pageSize: pageSize) else { return nil }
        let candidate: Region?
        if let index = lastIndex(startingAtOrBefore: wanted.start), live[index].range.contains(wanted), matches(live[index].handle) {
            candidate = live[index]
        } else {
            candidate = byID.values.first { !$0.live && $0.range.contains(wanted) && matches($0.handle) }
        }
        guard let region = candidate else { return nil }
        clock &+= 1
        region.references += 1
        region.lastUse = clock
        return lease(region)
    }

    /// Gives back a reference taken by ``acquire(address:length:)``. A retired or transient
    /// region that is neither referenced nor pinned any more is deregistered now. Unknown
    /// leases are ignored.
    @inlinable
    public func release(_ lease: RegistrationLease<Handle>) {
        guard let region = byID[lease.id], region.references > 0 else { return }
        region.references -= 1
        guard region.idle, !region.live || region.transient else { return }
        if region.live { removeLive(region) }
        drop(region)
    }

    /// Keeps the leased region registered until an invalidation covers it, even once it is
    /// retired by a merge or no longer referenced; it is never evicted meanwhile.
    public func pin(_ lease: RegistrationLease<Handle>) {
        byID[lease.id]?.pinned = true
    }

    /// Drops every registration that overlaps `length` bytes at `address`: live ones leave the
    /// lookup, pins are cleared, and regions without references are deregistered at once (the
    /// others when their last reference is released).
    /// - Returns: The number of regions affected.
    @discardableResult
    public func invalidate(address: UInt, length: UInt) -> Int {
        guard let range = PageRange(covering: address, length: length, pageSize: pageSize) else { return 0 }
        live.removeAll { $0.range.overlaps(range) }
        return invalidate(byID.values.filter { $0.range.overlaps(range) })
    }

    /// Drops every registration as ``invalidate(address:length:)`` would for the whole address
    /// space: used when invalidations may have been missed (a memory monitor fell behind or
    /// stopped). Referenced regions stay registered until released, but leave the lookup.
    /// - Returns: The number of regions affected.
    @discardableResult
    public func invalidateAll() -> Int {
        live.removeAll()
        return invalidate(Array(byID.values))
    }

    /// Unpins regions already out of the lookup and deregisters those without references
    /// (the others on their last release), oldest first. - Returns: how many there were.
    private func invalidate(_ regions: [Region]) -> Int {
        for region in regions.sorted(by: { $0.id < $1.id }) {
            region.pinned = false
            region.live = false
            if region.references == 0 { drop(region) }
        }
        counters.invalidated += UInt64(regions.count)
        return regions.count
    }

    /// Deregisters every region, referenced or not (used when the device closes, after its
    /// operations completed). Leases handed out earlier become unknown.
    /// - Returns: The number of regions that were still referenced.
    @discardableResult
    public func removeAll() -> Int {
        let referenced = byID.values.filter { $0.references > 0 }.count
        for region in byID.values.sorted(by: { $0.id < $1.id }) {
            region.live = false
            drop(region)
        }
        live.removeAll()
        return referenced
    }

    /// Counters and current sizes.
    public var statistics: RegistrationCacheStatistics {
        var result = counters
        result.liveRegions = live.count
        result.retiredRegions = byID.count - live.count
        return result
    }

    /// The live regions in address order, for diagnosis and tests.
    public var liveRanges: [PageRange] { live.map(\.range) }

    /// Snapshot of one registered region (live or retired), for diagnosis and tests.
    public func state(of lease: RegistrationLease<Handle>) -> RegionState? {
        byID[lease.id].map { RegionState(range: $0.range, references: $0.references, pinned: $0.pinned, live: $0.live) }
    }

    // MARK: - Internals

    @inlinable
    func lease(_ region: Region) -> RegistrationLease<Handle> {
        RegistrationLease(id: region.id, range: region.range, handle: region.handle)
    }

    /// Index of the last live region whose start is <= `address`.
    @inlinable
    func lastIndex(startingAtOrBefore address: UInt) -> Int? {
        var low = 0
        var high = live.count
        while low < high {
            let mid = (low + high) / 2
            if live[mid].range.start <= address { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// Takes a live region out of the lookup.
    @usableFromInline
    func removeLive(_ region: Region) {
        region.live = false
        if let index = lastIndex(startingAtOrBefore: region.range.start), live[index] === region {
            live.remove(at: index)
        }
    }

    private func insertionIndex(for start: UInt) -> Int {
        lastIndex(startingAtOrBefore: start).map { $0 + 1 } ?? 0
    }

    /// Evicts idle live regions, least recently used first, until `bytes` more (in one more
    /// region) fit. Once it has to evict, it goes on down to a low watermark (an eighth of each
    /// limit free, in whole pages and regions) so that the sort is paid once per many misses,
    /// not on every one.
    private func makeRoom(for bytes: UInt, reclaiming reclaimed: UInt, sparing spared: Set<UInt64>) throws(RegistrationCacheError) {
        let limit = maxBytes
        let byteMark = limit - limit / 8 / pageSize * pageSize
        let regionMark = maxRegions - maxRegions / 8
        func fits() -> Bool { counters.registeredBytes - reclaimed + bytes <= limit && byID.count < maxRegions }
        func belowMark() -> Bool { counters.registeredBytes - reclaimed + bytes <= byteMark && byID.count < regionMark }
        guard !fits() else { return }
        let candidates = live.filter { $0.idle && !spared.contains($0.id) }.sorted { $0.lastUse < $1.lastUse }
        var evicted = Set<UInt64>()
        defer { if !evicted.isEmpty { live.removeAll { evicted.contains($0.id) } } }
        for victim in candidates {
            victim.live = false
            evicted.insert(victim.id)
            drop(victim)
            counters.evictions += 1
            if belowMark() { return }
        }
        if fits() { return }
        if byID.count >= maxRegions { throw .regionLimitReached(limit: maxRegions) }
        throw .limitReached(registered: counters.registeredBytes, requested: bytes, limit: limit)
    }

    /// Takes a region out of the lookup; deregisters it unless referenced or pinned.
    private func retire(_ region: Region) {
        region.live = false
        if region.idle { drop(region) }
    }

    @usableFromInline
    func drop(_ region: Region) {
        guard byID.removeValue(forKey: region.id) != nil else { return }
        counters.registeredBytes -= region.range.length
        counters.deregistrations += 1
        deregister(region.handle)
    }
}

/// A reference to a registered region, returned by ``RegistrationCache/acquire(address:length:)``.
public struct RegistrationLease<Handle> {
    /// Identifies the region inside its cache.
    public let id: UInt64
    /// The registered (page-aligned) range; it contains the requested buffer.
    public let range: PageRange
    /// What the registration function returned (for RDMA: the memory region with its keys).
    public let handle: Handle

    @usableFromInline
    init(id: UInt64, range: PageRange, handle: Handle) {
        self.id = id
        self.range = range
        self.handle = handle
    }
}

extension RegistrationLease: Sendable where Handle: Sendable {}

/// What a region looks like at one moment (for tests and diagnosis).
public struct RegionState: Equatable, Sendable {
    /// Registered range.
    public var range: PageRange
    /// Outstanding leases.
    public var references: Int
    /// Kept until invalidated.
    public var pinned: Bool
    /// In the lookup (false once retired by a merge, evicted or invalidated).
    public var live: Bool
}

/// Counters of a ``RegistrationCache``.
public struct RegistrationCacheStatistics: Equatable, Sendable {
    /// Acquisitions served by an existing live region.
    public var hits: UInt64 = 0
    /// Acquisitions that needed a new registration (or failed).
    public var misses: UInt64 = 0
    /// Calls of the registration function that succeeded.
    public var registrations: UInt64 = 0
    /// Calls of the deregistration function.
    public var deregistrations: UInt64 = 0
    /// Registrations that absorbed at least one existing region.
    public var merges: UInt64 = 0
    /// Idle regions evicted to stay within the limit.
    public var evictions: UInt64 = 0
    /// Regions affected by invalidations.
    public var invalidated: UInt64 = 0
    /// Registrations whose range could not be watched (deregistered once idle, never reused).
    public var transientRegistrations: UInt64 = 0
    /// Bytes currently registered (live and retired).
    public var registeredBytes: UInt = 0
    /// Regions in the lookup.
    public var liveRegions = 0
    /// Regions out of the lookup but still registered (referenced or pinned).
    public var retiredRegions = 0
}
