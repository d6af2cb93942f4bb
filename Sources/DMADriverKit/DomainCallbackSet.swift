import CDMAHostABI

/// The `spdk_memory_domain_*_cb` callbacks of a domain, registered together when the domain is
/// created (``DomainOwnership/createDomain(through:deviceID:type:id:owner:publicContext:callbacks:)``)
/// or with ``HostAPI/setCallbacks(of:_:)``. A nil member leaves that callback unset.
public struct DomainCallbackSet: Sendable {
    /// `spdk_memory_domain_translate_memory_cb`.
    public var translate: spdk_memory_domain_translate_memory_cb?
    /// `spdk_memory_domain_invalidate_data_cb`.
    public var invalidate: spdk_memory_domain_invalidate_data_cb?
    /// `spdk_memory_domain_pull_data_cb`.
    public var pull: spdk_memory_domain_pull_data_cb?
    /// `spdk_memory_domain_push_data_cb`.
    public var push: spdk_memory_domain_push_data_cb?
    /// `spdk_memory_domain_transfer_data_cb`.
    public var transfer: spdk_memory_domain_transfer_data_cb?
    /// `spdk_memory_domain_memzero_cb`.
    public var memzero: spdk_memory_domain_memzero_cb?

    /// Collects the callbacks of a domain; omitted ones stay unset.
    public init(translate: spdk_memory_domain_translate_memory_cb? = nil,
                invalidate: spdk_memory_domain_invalidate_data_cb? = nil,
                pull: spdk_memory_domain_pull_data_cb? = nil,
                push: spdk_memory_domain_push_data_cb? = nil,
                transfer: spdk_memory_domain_transfer_data_cb? = nil,
                memzero: spdk_memory_domain_memzero_cb? = nil) {
        self.translate = translate
        self.invalidate = invalidate
        self.pull = pull
        self.push = push
        self.transfer = transfer
        self.memzero = memzero
    }
}

extension HostAPI {
    /// Registers every callback of `callbacks` on `domain` (unset members stay unset).
    public func setCallbacks(of domain: OpaquePointer, _ callbacks: DomainCallbackSet) {
        setCallbacks(of: domain, translate: callbacks.translate, invalidate: callbacks.invalidate, pull: callbacks.pull,
                     push: callbacks.push, transfer: callbacks.transfer, memzero: callbacks.memzero)
    }
}
