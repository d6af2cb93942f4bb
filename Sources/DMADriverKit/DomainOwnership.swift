import CDMAHostABI
import Synchronization

/// Domains owned by objects of a backend, and the lock-free lookup from a domain to its owner
/// that the backend's C callbacks need (they receive only the domain pointer).
///
/// A backend keeps one instance per kind of domain it creates, usually a `static let`:
/// ```swift
/// static let domains = DomainOwnership<CopyEngine>()
///
/// let domain = try Self.domains.createDomain(through: host, deviceID: id, type: .accel, id: id,
///                                            owner: engine, callbacks: DomainCallbackSet(pull: pull, ...))
/// // in a callback:
/// Self.domains.withOwner(of: domain) { engine in engine.submit(...) } ?? -ENODEV
/// ```
///
/// **User context.** The host copies the user context it is given and keeps the copy for the
/// domain's life. ``createDomain(through:deviceID:type:id:owner:publicContext:callbacks:)``
/// gives it the backend's public layout (`publicContext`: `struct dmahost_cpu_domain_ctx`,
/// `struct spdk_memory_domain_rdma_ctx`, `struct dmahost_dmabuf_domain_ctx`, or nothing)
/// followed, at the next multiple of 8 bytes, by a trailer of this kit: a magic word, this
/// instance's tag, and the owner's address. The public layout is unchanged (its own `size`
/// field still gives its own size); only the user context's total size grows by the padding and
/// 24 bytes.
///
/// **Lookup.** ``withOwner(of:_:)`` first looks in this instance's table of its live domains
/// (``OwnerCache``: entered when a domain is created, cleared by ``OwnedDomain/destroy()``,
/// trusted only while no domain was destroyed since its entry was confirmed); a domain not
/// found there is looked up as ``owns(_:)`` always does: it reads the host's copy through
/// `spdk_memory_domain_get_user_context` of the first host table this instance created a
/// domain through (every host table carries the same `spdk_memory_domain_*` functions and
/// lives as long as the process), checks the magic and the tag, and calls its closure with the
/// owner: no lock, no reference counting. A domain of another backend, of another instance
/// (each draws its own random 64-bit tag), or without a user context gives nil. The host table
/// is published after the tag, so a lookup that sees a table also sees the tag.
///
/// **Lifetime.** The domain holds a reference to its owner until ``OwnedDomain/destroy()``;
/// ``OwnedDomain`` describes how to tear a domain down so that no callback reaches a released owner.
///
/// **Storage.** The type is a non-copyable struct of atomic words, all 0 until the first
/// domain is created (the tag is drawn then), so a global or `static let` of it needs no lazy
/// initialisation: a callback reaches it without the `swift_once` call a class instance would
/// cost. Keep it in a global or a `static let`; pass it `borrowing`.
public struct DomainOwnership<Owner: AnyObject & Sendable>: ~Copyable, Sendable {
    /// Identifies the domains of this instance in their trailers (random, non-zero; 0 until
    /// the first domain is created).
    @usableFromInline let tagWord = Atomic<UInt64>(0)
    /// Address of the first host table a domain was created through (0 before).
    @usableFromInline let firstHostTable = Atomic<UInt>(0)
    /// Address of the ``OwnerCache`` of this instance's live domains (0 before the first domain,
    /// and when the host table counts no destroys: without the count the table could not tell
    /// a destroyed domain's entry from a live one).
    @usableFromInline let ownerCache = Atomic<UInt>(0)

    /// An instance with no domain yet; its tag is drawn when it creates its first domain.
    @inlinable
    public init() {}

    /// The first host table a domain of this instance was created through; nil before the
    /// first domain. Callbacks use it to reach other domains (the system domain, translations).
    public var host: HostAPI? {
        UnsafePointer<dmahost_host_api>(bitPattern: firstHostTable.load(ordering: .acquiring)).map(HostAPI.init(validated:))
    }

    /// Creates a domain owned by `owner`, registers its callbacks, and keeps `owner` alive
    /// until the returned domain is destroyed.
    /// - Parameters:
    ///   - host: The host table to create the domain through.
    ///   - deviceID: The device (as reported by probe) the domain belongs to.
    ///   - type: Domain type.
    ///   - id: Domain id.
    ///   - owner: What the callbacks of the domain find through ``withOwner(of:_:)``.
    ///   - publicContext: The public part of the user context, copied first (nil for none).
    ///   - callbacks: The domain's callbacks, set before this returns.
    /// - Returns: The domain; tear it down with ``OwnedDomain/revoke()`` and ``OwnedDomain/destroy()``.
    /// - Throws: The host's refusal to create the domain (`owner` is then not retained).
    public func createDomain(through host: HostAPI, deviceID: String, type: DMADeviceType, id: String?, owner: Owner,
                             publicContext: UnsafeRawBufferPointer? = nil,
                             callbacks: DomainCallbackSet) throws(DMAError) -> OwnedDomain<Owner> {
        let tag = establishTag()
        _ = firstHostTable.compareExchange(expected: 0, desired: UInt(bitPattern: host.table), ordering: .acquiringAndReleasing)
        let publicSize = publicContext?.count ?? 0
        let trailerOffset = OwnershipTrailer.offset(after: publicSize)
        let context = UnsafeMutableRawBufferPointer.allocate(byteCount: trailerOffset + OwnershipTrailer.size,
                                                             alignment: OwnershipTrailer.alignment)
        defer { context.deallocate() }
        context.initializeMemory(as: UInt8.self, repeating: 0)
        if let publicContext, publicSize > 0 {
            UnsafeMutableRawBufferPointer(rebasing: context[0..<publicSize]).copyMemory(from: publicContext)
        }
        let reference = Unmanaged.passRetained(owner)
        let domain: OpaquePointer
        do throws(DMAError) {
            guard let base = context.baseAddress else { throw .outOfMemory("cannot build the user context of domain \(id ?? deviceID)") }
            OwnershipTrailer.write(at: base + trailerOffset, tag: tag, owner: reference.toOpaque())
            domain = try host.createDomain(deviceID: deviceID, type: type, id: id, userContext: UnsafeRawBufferPointer(context))
        } catch {
            reference.release()
            throw error
        }
        let owners = host.table.pointee.domains_destroyed.map { OwnerCache.installed(in: ownerCache, count: $0) }
        // Read before the trailer is checked: a destroy after this read makes the entry's
        // stamp old, and the domain is looked up through the host again.
        let stamp = owners?.currentStamp
        guard let word = OwnerCache.ownerWord(of: domain, through: host.table, tag: tag) else {
            // The host did not keep the user context it was given: no callback could find the owner.
            host.destroyDomain(domain)
            reference.release()
            throw .notSupported("the host kept no copy of the user context of domain \(id ?? deviceID)")
        }
        let entry = owners.flatMap { owners in stamp.flatMap { owners.insert(domain, ownerWord: word, stamp: $0) } }
        host.setCallbacks(of: domain, callbacks)
        return OwnedDomain(domain: domain, ownerWord: word, cacheEntry: entry, owner: reference, host: host)
    }

    /// Runs `body` with the owner of `domain`, without a lock or reference counting: the
    /// domain's reference keeps the owner alive while the domain is not revoked.
    /// - Returns: `body`'s result, or nil when `domain` is nil, revoked, or not a domain of
    ///   this instance (callbacks then return -ENODEV).
    @inlinable @inline(__always)
    public func withOwner<Result>(of domain: OpaquePointer?, _ body: (Owner) -> Result) -> Result? {
        withOwner(word: ownerWord(of: domain), body)
    }

    /// The owner word of `domain`: from the ``OwnerCache`` when its entry is confirmed, else
    /// through the host; nil when `domain` is nil or not a domain of this instance.
    @inlinable @inline(__always)
    func ownerWord(of domain: OpaquePointer?) -> UnsafeMutablePointer<Atomic<UInt>>? {
        guard let domain else { return nil }
        let cache = ownerCache.load(ordering: .acquiring)
        return OwnerCache(bitPattern: cache)?.ownerWord(of: domain)
            ?? OwnerCache.confirm(domain, table: firstHostTable.load(ordering: .acquiring),
                                  tag: tagWord.load(ordering: .relaxed), cache: cache)
    }

    /// Runs `body` with the owner whose word is `word`; nil when there is no word or the
    /// domain was revoked (the word is 0).
    @inlinable @inline(__always)
    func withOwner<Result>(word: UnsafeMutablePointer<Atomic<UInt>>?, _ body: (Owner) -> Result) -> Result? {
        guard let word, let owner = UnsafeRawPointer(bitPattern: word.pointee.load(ordering: .acquiring)) else { return nil }
        return Unmanaged<Owner>.fromOpaque(owner)._withUnsafeGuaranteedRef(body)
    }

    /// Whether `domain` is a live (not revoked) domain of this instance. Looked up through the
    /// host every time (`domain` may be any domain, e.g. the source of a transfer).
    public func owns(_ domain: OpaquePointer?) -> Bool {
        guard let domain, let word = ownerWordThroughHost(of: domain) else { return false }
        return word.pointee.load(ordering: .acquiring) != 0
    }

    /// The owner word of `domain` read from the host's copy of its user context, when the
    /// context carries this instance's trailer.
    @usableFromInline
    func ownerWordThroughHost(of domain: OpaquePointer) -> UnsafeMutablePointer<Atomic<UInt>>? {
        guard let table = UnsafePointer<dmahost_host_api>(bitPattern: firstHostTable.load(ordering: .acquiring)) else { return nil }
        return OwnerCache.ownerWord(of: domain, through: table, tag: tagWord.load(ordering: .relaxed))
    }

    /// This instance's tag, drawn (random, non-zero) by the first call.
    private func establishTag() -> UInt64 {
        let current = tagWord.load(ordering: .acquiring)
        guard current == 0 else { return current }
        var generator = SystemRandomNumberGenerator()
        let drawn = UInt64.random(in: 1...UInt64.max, using: &generator)
        let (exchanged, original) = tagWord.compareExchange(expected: 0, desired: drawn, ordering: .acquiringAndReleasing)
        return exchanged ? drawn : original
    }
}
