import Synchronization

/// A domain created by a ``DomainOwnership``, and the reference to its owner that the domain
/// holds for its life.
///
/// Tearing a domain down takes two steps, so that no callback can reach a released owner:
/// 1. ``revoke()``: from now on a lookup of the domain (``DomainOwnership/withOwner(of:_:)``)
///    finds nothing, so a callback that starts later returns -ENODEV;
/// 2. the backend drains the operations it accepted, then calls ``destroy()``: the host
///    destroys the domain (which clears its callbacks) and the owner is released.
///
/// A callback that looked the owner up before ``revoke()`` is an operation in flight: draining
/// waits for what it submitted, and `spdk_memory_domain_destroy` makes the caller guarantee
/// that no operation on the domain is still running when the domain is destroyed.
/// ``destroy()`` revokes first when ``revoke()`` was not called. Both may be called again:
/// later calls do nothing.
public final class OwnedDomain<Owner: AnyObject & Sendable>: Sendable {
    /// The domain's address (`struct spdk_memory_domain *`, owned by the host's registry).
    private let address: UInt
    /// The owner word in the host's copy of the user context (valid until the domain leaves
    /// the host's quarantine, long after ``destroy()``).
    private let ownerWordAddress: UInt
    /// The domain's entry in its ``DomainOwnership``'s ``OwnerCache`` (0: none), cleared by ``destroy()``.
    private let cacheEntryAddress: UInt
    /// The reference the domain holds, released by ``destroy()``.
    private let ownerReference: Unmanaged<Owner>
    private let host: HostAPI
    /// 0 live, 1 revoked, 2 destroyed.
    private let phase = Atomic<UInt8>(0)

    init(domain: OpaquePointer, ownerWord: UnsafeMutablePointer<Atomic<UInt>>, cacheEntry: UnsafeMutablePointer<Atomic<UInt>>?,
         owner: Unmanaged<Owner>, host: HostAPI) {
        self.address = UInt(bitPattern: domain)
        self.ownerWordAddress = UInt(bitPattern: ownerWord)
        self.cacheEntryAddress = UInt(bitPattern: cacheEntry)
        self.ownerReference = owner
        self.host = host
    }

    /// The domain (`struct spdk_memory_domain *`), valid until ``destroy()``.
    public var pointer: OpaquePointer {
        // Never 0: made from a domain pointer in init.
        OpaquePointer(bitPattern: address).unsafelyUnwrapped
    }

    /// The owner given at creation (it stays alive at least until ``destroy()``).
    public var owner: Owner { ownerReference.takeUnretainedValue() }

    /// Whether ``revoke()`` or ``destroy()`` was called.
    public var isRevoked: Bool { phase.load(ordering: .acquiring) != 0 }

    /// Makes the domain unreachable through lookups: callbacks that start from now on find no
    /// owner (and return -ENODEV). The domain still exists and the owner stays alive.
    public func revoke() {
        guard phase.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        UnsafeMutablePointer<Atomic<UInt>>(bitPattern: ownerWordAddress)?.pointee.store(0, ordering: .releasing)
    }

    /// Revokes the domain if needed, destroys it through the host, and releases the owner.
    /// Call it once the operations the domain accepted have completed.
    public func destroy() {
        revoke()
        guard phase.compareExchange(expected: 1, desired: 2, ordering: .acquiringAndReleasing).exchanged else { return }
        // Before the host destroys the domain (and, after its quarantine, frees the user
        // context the entry points into): from now on the domain is looked up through the host.
        if let entry = UnsafeMutablePointer<Atomic<UInt>>(bitPattern: cacheEntryAddress),
           let word = UnsafeMutablePointer<Atomic<UInt>>(bitPattern: ownerWordAddress) {
            OwnerCache.remove(entry, domain: pointer, ownerWord: word)
        }
        host.destroyDomain(pointer)
        ownerReference.release()
    }
}
