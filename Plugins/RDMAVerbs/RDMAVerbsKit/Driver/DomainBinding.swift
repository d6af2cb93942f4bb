import DMADriverKit

/// What an open device's RDMA domains belong to: the owner of both domains of a device.
///
/// An RDMA domain's user context must be SPDK's `struct spdk_memory_domain_rdma_ctx { size,
/// ibv_pd }`, which SPDK users read; ``domains`` appends its trailer after it, so users see
/// the struct unchanged (its `size` is still the struct's) and callbacks find the binding
/// without a lock. Close revokes both domains before it drains the engine and destroys them,
/// so a callback on a closing device finds nothing and returns -ENODEV.
final class DomainBinding: Sendable {
    /// The RDMA domains of this plugin, owned by their device's binding.
    static let domains = DomainOwnership<DomainBinding>()

    /// The device's engine.
    let engine: RDMAEngine
    /// The host table, to call other domains (e.g. a dma-buf domain's translate).
    let host: HostAPI

    init(engine: RDMAEngine, host: HostAPI) {
        self.engine = engine
        self.host = host
    }

    /// Runs `body` with the binding of `domain`; nil when it is not an open RDMA domain of this plugin.
    @inline(__always)
    static func with<Result>(_ domain: OpaquePointer?, _ body: (DomainBinding) -> Result) -> Result? {
        domains.withOwner(of: domain, body)
    }
}
