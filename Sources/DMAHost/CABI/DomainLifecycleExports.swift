import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// spdk/dma.h: creation, destruction and the read-only accessors.
// Each function is exported under its SPDK name; see the header for the contract.

/// C ABI export of `spdk_memory_domain_create`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_create")
@_spi(CABI) public func spdk_memory_domain_create_export(
    _ domain: UnsafeMutablePointer<OpaquePointer?>?,
    _ type: spdk_dma_device_type,
    _ ctx: UnsafeMutablePointer<spdk_memory_domain_ctx>?,
    _ id: UnsafePointer<CChar>?
) -> Int32 {
    guard let domain else { return -EINVAL }
    do throws(DMAError) {
        let record = try DomainRecordStorage.make(type: Int32(bitPattern: type.rawValue), context: ctx.map { UnsafePointer($0) }, id: id)
        do throws(DMAError) {
            try Registry.append(record)
        } catch {
            DomainRecordStorage.release(record)
            throw error
        }
        domain.pointee = OpaquePointer(record)
        return 0
    } catch {
        return error.negativeErrno
    }
}

/// C ABI export of `spdk_memory_domain_destroy`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_destroy")
@_spi(CABI) public func spdk_memory_domain_destroy_export(_ domain: OpaquePointer?) {
    guard let domain else { return }
    let record = DomainRecord(domain)
    switch Registry.destroy(record) {
    case .live:
        break
    case .system:
        CoreLog.warning("spdk_memory_domain_destroy: the system domain cannot be destroyed; call ignored", kind: "spdk_memory_domain_destroy: system domain")
    case .destroyed:
        CoreLog.warning("spdk_memory_domain_destroy: \(record) was already destroyed; call ignored", kind: "spdk_memory_domain_destroy: destroyed domain")
    case .unknown:
        CoreLog.warning("spdk_memory_domain_destroy: \(record) is not a registered memory domain; call ignored", kind: "spdk_memory_domain_destroy: unknown pointer")
    }
}

/// C ABI export of `spdk_memory_domain_get_context`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_context")
@_spi(CABI) public func spdk_memory_domain_get_context_export(_ domain: OpaquePointer?) -> UnsafeMutablePointer<spdk_memory_domain_ctx>? {
    guard let domain else { return nil }
    return DomainRecord(domain).pointee.ctx
}

/// C ABI export of `spdk_memory_domain_get_user_context`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_user_context")
@_spi(CABI) public func spdk_memory_domain_get_user_context_export(_ domain: OpaquePointer?, _ size: UnsafeMutablePointer<Int>?) -> UnsafeMutableRawPointer? {
    guard let domain else { return nil }
    let record = DomainRecord(domain)
    // As in SPDK: no user context (none given, or given with size 0) gives NULL and leaves
    // *ctx_size as it was.
    guard record.pointee.user_ctx_size != 0, let user = record.pointee.user_ctx else { return nil }
    size?.pointee = record.pointee.user_ctx_size
    return user
}

/// C ABI export of `spdk_memory_domain_get_dma_device_type`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_dma_device_type")
@_spi(CABI) public func spdk_memory_domain_get_dma_device_type_export(_ domain: OpaquePointer?) -> spdk_dma_device_type {
    guard let domain else { return SPDK_DMA_DEVICE_TYPE_DMA }
    return spdk_dma_device_type(rawValue: UInt32(bitPattern: DomainRecord(domain).pointee.type))
}

/// C ABI export of `spdk_memory_domain_get_dma_device_id`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_dma_device_id")
@_spi(CABI) public func spdk_memory_domain_get_dma_device_id_export(_ domain: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let domain else { return nil }
    return UnsafePointer(DomainRecord(domain).pointee.id)
}

/// C ABI export of `spdk_memory_domain_get_system_domain`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_system_domain")
@_spi(CABI) public func spdk_memory_domain_get_system_domain_export() -> OpaquePointer {
    OpaquePointer(Registry.systemDomain)
}

/// C ABI export of `spdk_memory_domain_get_first`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_first")
@_spi(CABI) public func spdk_memory_domain_get_first_export(_ id: UnsafePointer<CChar>?) -> OpaquePointer? {
    Registry.first(id: id).map(OpaquePointer.init)
}

/// C ABI export of `spdk_memory_domain_get_next`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_get_next")
@_spi(CABI) public func spdk_memory_domain_get_next_export(_ prev: OpaquePointer?, _ id: UnsafePointer<CChar>?) -> OpaquePointer? {
    guard let prev else { return nil }
    switch Registry.next(after: DomainRecord(prev), id: id) {
    case .found(let next):
        return next.map(OpaquePointer.init)
    case .unknownPrevious:
        return unknownPrevious(prev)
    }
}

/// get_next's answer for a pointer the registry does not know: NULL, and a warning. Kept out
/// of line so that the usual path of get_next saves no registers for it.
@inline(never)
private func unknownPrevious(_ prev: OpaquePointer) -> OpaquePointer? {
    CoreLog.warning("spdk_memory_domain_get_next: \(prev) is not a memory domain (never created, or destroyed long ago); returning NULL",
                    kind: "spdk_memory_domain_get_next: unknown pointer")
    return nil
}

/// The word `dmahost_host_api.domains_destroyed` points to: the number of domains destroyed in
/// the process so far (read it atomically).
@_spi(CABI) public var dmahostDomainsDestroyed: UnsafePointer<UInt64> { Registry.domainsDestroyed }
