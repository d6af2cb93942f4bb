import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// spdk/dma.h: the data-path dispatchers. The hot path: one NULL check, one load of the
// callback from the C-laid-out record, one indirect call. Every argument is passed through
// untouched and the callback's return value is returned unchanged; the library never calls
// cpl_cb itself. Which domain's callback runs: pull → source, push → destination,
// transfer → destination, translate → source, memzero and invalidate → the domain itself.
// Argument checks (dmahost/iovec.h) belong to the callbacks, the system domain's included, so
// that this path stays one load and one call.

/// C ABI export of `spdk_memory_domain_pull_data`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_pull_data")
@_spi(CABI) public func spdk_memory_domain_pull_data_export(
    _ srcDomain: OpaquePointer?, _ srcDomainCtx: UnsafeMutableRawPointer?,
    _ srcIov: UnsafeMutablePointer<iovec>?, _ srcIovCnt: UInt32,
    _ dstIov: UnsafeMutablePointer<iovec>?, _ dstIovCnt: UInt32,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let srcDomain, let pull = DomainRecord(srcDomain).pointee.pull_cb else { return -ENOTSUP }
    return pull(DomainRecord(srcDomain), srcDomainCtx, srcIov, srcIovCnt, dstIov, dstIovCnt, cplCb, cplCbArg)
}

/// C ABI export of `spdk_memory_domain_push_data`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_push_data")
@_spi(CABI) public func spdk_memory_domain_push_data_export(
    _ dstDomain: OpaquePointer?, _ dstDomainCtx: UnsafeMutableRawPointer?,
    _ dstIov: UnsafeMutablePointer<iovec>?, _ dstIovCnt: UInt32,
    _ srcIov: UnsafeMutablePointer<iovec>?, _ srcIovCnt: UInt32,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let dstDomain, let push = DomainRecord(dstDomain).pointee.push_cb else { return -ENOTSUP }
    return push(DomainRecord(dstDomain), dstDomainCtx, dstIov, dstIovCnt, srcIov, srcIovCnt, cplCb, cplCbArg)
}

/// C ABI export of `spdk_memory_domain_transfer_data`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_transfer_data")
@_spi(CABI) public func spdk_memory_domain_transfer_data_export(
    _ dstDomain: OpaquePointer?, _ dstDomainCtx: UnsafeMutableRawPointer?,
    _ dstIov: UnsafeMutablePointer<iovec>?, _ dstIovCnt: UInt32,
    _ srcDomain: OpaquePointer?, _ srcDomainCtx: UnsafeMutableRawPointer?,
    _ srcIov: UnsafeMutablePointer<iovec>?, _ srcIovCnt: UInt32,
    _ srcTranslation: UnsafeMutablePointer<spdk_memory_domain_translation_result>?,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let dstDomain, let transfer = DomainRecord(dstDomain).pointee.transfer_cb else { return -ENOTSUP }
    return transfer(DomainRecord(dstDomain), dstDomainCtx, dstIov, dstIovCnt, srcDomain.map(DomainRecord.init), srcDomainCtx, srcIov, srcIovCnt,
                    srcTranslation, cplCb, cplCbArg)
}

/// C ABI export of `spdk_memory_domain_translate_data`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_translate_data")
@_spi(CABI) public func spdk_memory_domain_translate_data_export(
    _ srcDomain: OpaquePointer?, _ srcDomainCtx: UnsafeMutableRawPointer?,
    _ dstDomain: OpaquePointer?, _ dstDomainCtx: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>?,
    _ addr: UnsafeMutableRawPointer?, _ len: Int,
    _ result: UnsafeMutablePointer<spdk_memory_domain_translation_result>?
) -> Int32 {
    guard let srcDomain, let translate = DomainRecord(srcDomain).pointee.translate_cb else { return -ENOTSUP }
    return translate(DomainRecord(srcDomain), srcDomainCtx, dstDomain.map { DomainRecord($0) }, dstDomainCtx, addr, len, result)
}

/// C ABI export of `spdk_memory_domain_invalidate_data`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_invalidate_data")
@_spi(CABI) public func spdk_memory_domain_invalidate_data_export(
    _ domain: OpaquePointer?, _ domainCtx: UnsafeMutableRawPointer?,
    _ iov: UnsafeMutablePointer<iovec>?, _ iovCnt: UInt32
) {
    guard let domain, let invalidate = DomainRecord(domain).pointee.invalidate_cb else { return }
    invalidate(DomainRecord(domain), domainCtx, iov, iovCnt)
}

/// C ABI export of `spdk_memory_domain_memzero`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_memory_domain_memzero")
@_spi(CABI) public func spdk_memory_domain_memzero_export(
    _ domain: OpaquePointer?, _ domainCtx: UnsafeMutableRawPointer?,
    _ iov: UnsafeMutablePointer<iovec>?, _ iovCnt: UInt32,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    guard let domain, let memzero = DomainRecord(domain).pointee.memzero_cb else { return -ENOTSUP }
    return memzero(DomainRecord(domain), domainCtx, iov, iovCnt, cplCb, cplCbArg)
}
