import DMADriverKit

/// An open device: the domain it created and how to tear it down.
struct OpenDevice: Sendable {
    /// The domain (`struct spdk_memory_domain *`, host-owned).
    let domain: DomainHandle
    /// Waits for the domain's operations in flight and drops its resources; called before the
    /// domain is destroyed.
    let quiesce: @Sendable () -> Void
    /// Destroys the domain and releases its engine (``OwnedDomain/destroy()``).
    let destroy: @Sendable () -> Void

    /// A device whose domain is owned by `domain`'s engine, quiesced by `quiesce`.
    init<Engine>(_ domain: OwnedDomain<Engine>, quiesce: @escaping @Sendable () -> Void) {
        self.domain = DomainHandle(pointer: domain.pointer)
        self.quiesce = quiesce
        self.destroy = { domain.destroy() }
    }
}

/// A domain pointer that can be kept in `Sendable` state.
struct DomainHandle: @unchecked Sendable, Hashable {
    // @unchecked Sendable: an opaque address of a host-owned, internally synchronised object.
    let pointer: OpaquePointer
}
