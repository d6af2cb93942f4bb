import CDMAHostABI
internal import CDMAHostRegistry

// spdk/dma.h: the six callback setters. Each overwrites; NULL clears (the slot then holds the
// registry's stub, which answers -ENOTSUP, or nothing for invalidate: slots are never NULL, see
// dispatch.S in CDMAHostRegistry); a NULL domain is ignored.
// The system domain's callbacks are fixed in its static record (CDMAHostRegistry): they check
// their arguments (dmahost/iovec.h) and report -ENOTSUP; the setters leave them alone. A
// destroyed domain's callbacks stay cleared.

/// Applies `update` to a registered, non-system record, under the registry lock; logs and
/// ignores the system domain, destroyed domains (whose callbacks stay cleared) and pointers
/// that are not domains.
@inline(__always)
private func withSettableRecord(_ domain: OpaquePointer?, _ setter: StaticString, _ update: (DomainRecord) -> Void) {
    guard let domain else { return }
    let record = DomainRecord(domain)
    switch Registry.update(record, update) {
    case .live:
        break
    case .system:
        CoreLog.warning("\(setter): the system domain's callbacks cannot be changed; call ignored", kind: "\(setter): system domain")
    case .destroyed:
        CoreLog.warning("\(setter): \(record) was destroyed; call ignored", kind: "\(setter): destroyed domain")
    case .unknown:
        CoreLog.warning("\(setter): \(record) is not a registered memory domain; call ignored", kind: "\(setter): unknown pointer")
    }
}

/// C ABI export of `spdk_memory_domain_set_translation`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_translation")
@_spi(CABI) public func spdk_memory_domain_set_translation_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_translate_memory_cb?) {
    withSettableRecord(domain, "spdk_memory_domain_set_translation") { $0.pointee.translate_cb = cb ?? dmahost_unsupported_translate }
}

/// C ABI export of `spdk_memory_domain_set_invalidate`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_invalidate")
@_spi(CABI) public func spdk_memory_domain_set_invalidate_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_invalidate_data_cb?) {
    withSettableRecord(domain, "spdk_memory_domain_set_invalidate") { $0.pointee.invalidate_cb = cb ?? dmahost_unsupported_invalidate }
}

/// C ABI export of `spdk_memory_domain_set_pull`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_pull")
@_spi(CABI) public func spdk_memory_domain_set_pull_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_pull_data_cb?) {
    withSettableRecord(domain, "spdk_memory_domain_set_pull") { $0.pointee.pull_cb = cb ?? dmahost_unsupported_pull }
}

/// C ABI export of `spdk_memory_domain_set_push`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_push")
@_spi(CABI) public func spdk_memory_domain_set_push_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_push_data_cb?) {
    withSettableRecord(domain, "spdk_memory_domain_set_push") { $0.pointee.push_cb = cb ?? dmahost_unsupported_push }
}

/// C ABI export of `spdk_memory_domain_set_data_transfer`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_data_transfer")
@_spi(CABI) public func spdk_memory_domain_set_data_transfer_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_transfer_data_cb?) {
    withSettableRecord(domain, "spdk_memory_domain_set_data_transfer") { $0.pointee.transfer_cb = cb ?? dmahost_unsupported_transfer }
}

/// C ABI export of `spdk_memory_domain_set_memzero`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_set_memzero")
@_spi(CABI) public func spdk_memory_domain_set_memzero_export(_ domain: OpaquePointer?, _ cb: spdk_memory_domain_memzero_cb?) {
    withSettableRecord(domain, "spdk_memory_domain_set_memzero") { $0.pointee.memzero_cb = cb ?? dmahost_unsupported_memzero }
}
