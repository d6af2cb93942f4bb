import DMADriverKit

/// An open device: the domain it created and how to tear it down.
struct OpenDevice: Sendable {
    /// The domain (`struct spdk_memory_domain *`, host-owned).
    let domain: DomainHandle
    /// Waits for the domain's operations in flight and drops its resources; called before the
    /// domain is destroyed.
    let quiesce: @Sendable () -> Void
    /// Releases what the domain's user context pointed to; called after the domain is destroyed.
    let release: @Sendable () -> Void
}

/// A domain pointer that can be kept in `Sendable` state.
struct DomainHandle: @unchecked Sendable, Hashable {
    // @unchecked Sendable: an opaque address of a host-owned, internally synchronised object.
    let pointer: OpaquePointer
}
