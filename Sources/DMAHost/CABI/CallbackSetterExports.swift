import CDMAHostABI
internal import CDMAHostRegistry

// spdk/dma.h: the six callback setters. Each overwrites; NULL clears; a NULL domain is ignored.

/// Applies `update` to the record behind `domain`; a NULL domain is ignored.
/// As in SPDK, the system domain's callbacks may be set too (it starts with none, so its
/// operations report -ENOTSUP until something registers one); the plugin host refuses that
/// for plugins.
@inline(__always)
private func withRecord(_ domain: OpaquePointer?, _ update: (DomainRecord) -> Void) {
    guard let domain else { return }
    update(DomainRecord(domain))
}

/// C ABI export of `spdk_memory_domain_set_translation`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_translation")
@_spi(CABI) public func spdk_memory_domain_set_translation_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_translate_memory_cb?) {
    withRecord(domain) { $0.pointee.translate_cb = cb }
}

/// C ABI export of `spdk_memory_domain_set_invalidate`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_invalidate")
@_spi(CABI) public func spdk_memory_domain_set_invalidate_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_invalidate_data_cb?) {
    withRecord(domain) { $0.pointee.invalidate_cb = cb }
}

/// C ABI export of `spdk_memory_domain_set_pull`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_pull")
@_spi(CABI) public func spdk_memory_domain_set_pull_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_pull_data_cb?) {
    withRecord(domain) { $0.pointee.pull_cb = cb }
}

/// C ABI export of `spdk_memory_domain_set_push`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_push")
@_spi(CABI) public func spdk_memory_domain_set_push_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_push_data_cb?) {
    withRecord(domain) { $0.pointee.push_cb = cb }
}

/// C ABI export of `spdk_memory_domain_set_data_transfer`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_data_transfer")
@_spi(CABI) public func spdk_memory_domain_set_data_transfer_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_transfer_data_cb?) {
    withRecord(domain) { $0.pointee.transfer_cb = cb }
}

/// C ABI export of `spdk_memory_domain_set_memzero`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_memzero")
@_spi(CABI) public func spdk_memory_domain_set_memzero_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_memzero_cb?) {
    withRecord(domain) { $0.pointee.memzero_cb = cb }
}
