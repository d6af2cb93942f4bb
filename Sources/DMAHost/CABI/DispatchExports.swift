import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// spdk/dma.h: the data-path dispatchers, as Swift reaches them. The C exports themselves
// (spdk_memory_domain_pull_data and the five others) are the two-instruction dispatchers of
// Sources/CDMAHostRegistry/dispatch.S, whose header says where a C or Swift dispatcher's other
// instructions went: the NULL check of the domain (-ENOTSUP; invalidate: nothing), then a jump
// through the record's callback slot, which is never NULL (a slot without a callback holds a
// stub answering -ENOTSUP). Every argument is passed through untouched and the callback's
// return value is returned unchanged; the library never calls cpl_cb itself. Which domain's
// callback runs: pull → source, push → destination, transfer → destination, translate →
// source, memzero and invalidate → the domain itself. Argument checks (dmahost/iovec.h) belong
// to the callbacks, the system domain's included.
//
// The functions below take the handle as the Swift API holds it (an OpaquePointer) and call
// the C export: one path for C and Swift callers.

/// `spdk_memory_domain_pull_data` for Swift callers; the contract is in `spdk/dma.h`.
@_spi(CABI) public func spdk_memory_domain_pull_data_export(
    _ srcDomain: OpaquePointer?, _ srcDomainCtx: UnsafeMutableRawPointer?,
    _ srcIov: UnsafeMutablePointer<iovec>?, _ srcIovCnt: UInt32,
    _ dstIov: UnsafeMutablePointer<iovec>?, _ dstIovCnt: UInt32,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    spdk_memory_domain_pull_data(srcDomain.map(DomainRecord.init), srcDomainCtx, srcIov, srcIovCnt, dstIov, dstIovCnt, cplCb, cplCbArg)
}

/// `spdk_memory_domain_push_data` for Swift callers; the contract is in `spdk/dma.h`.
@_spi(CABI) public func spdk_memory_domain_push_data_export(
    _ dstDomain: OpaquePointer?, _ dstDomainCtx: UnsafeMutableRawPointer?,
    _ dstIov: UnsafeMutablePointer<iovec>?, _ dstIovCnt: UInt32,
    _ srcIov: UnsafeMutablePointer<iovec>?, _ srcIovCnt: UInt32,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    spdk_memory_domain_push_data(dstDomain.map(DomainRecord.init), dstDomainCtx, dstIov, dstIovCnt, srcIov, srcIovCnt, cplCb, cplCbArg)
}

/// `spdk_memory_domain_transfer_data` for Swift callers; the contract is in `spdk/dma.h`.
@_spi(CABI) public func spdk_memory_domain_transfer_data_export(
    _ dstDomain: OpaquePointer?, _ dstDomainCtx: UnsafeMutableRawPointer?,
    _ dstIov: UnsafeMutablePointer<iovec>?, _ dstIovCnt: UInt32,
    _ srcDomain: OpaquePointer?, _ srcDomainCtx: UnsafeMutableRawPointer?,
    _ srcIov: UnsafeMutablePointer<iovec>?, _ srcIovCnt: UInt32,
    _ srcTranslation: UnsafeMutablePointer<spdk_memory_domain_translation_result>?,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    spdk_memory_domain_transfer_data(dstDomain.map(DomainRecord.init), dstDomainCtx, dstIov, dstIovCnt, srcDomain.map(DomainRecord.init),
                                     srcDomainCtx, srcIov, srcIovCnt, srcTranslation, cplCb, cplCbArg)
}

/// `spdk_memory_domain_translate_data` for Swift callers; the contract is in `spdk/dma.h`.
@_spi(CABI) public func spdk_memory_domain_translate_data_export(
    _ srcDomain: OpaquePointer?, _ srcDomainCtx: UnsafeMutableRawPointer?,
    _ dstDomain: OpaquePointer?, _ dstDomainCtx: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>?,
    _ addr: UnsafeMutableRawPointer?, _ len: Int,
    _ result: UnsafeMutablePointer<spdk_memory_domain_translation_result>?
) -> Int32 {
    spdk_memory_domain_translate_data(srcDomain.map(DomainRecord.init), srcDomainCtx, dstDomain.map(DomainRecord.init), dstDomainCtx,
                                      addr, len, result)
}

/// `spdk_memory_domain_invalidate_data` for Swift callers; the contract is in `spdk/dma.h`.
@_spi(CABI) public func spdk_memory_domain_invalidate_data_export(
    _ domain: OpaquePointer?, _ domainCtx: UnsafeMutableRawPointer?,
    _ iov: UnsafeMutablePointer<iovec>?, _ iovCnt: UInt32
) {
    spdk_memory_domain_invalidate_data(domain.map(DomainRecord.init), domainCtx, iov, iovCnt)
}

/// `spdk_memory_domain_memzero` for Swift callers; the contract is in `spdk/dma.h`.
@_spi(CABI) public func spdk_memory_domain_memzero_export(
    _ domain: OpaquePointer?, _ domainCtx: UnsafeMutableRawPointer?,
    _ iov: UnsafeMutablePointer<iovec>?, _ iovCnt: UInt32,
    _ cplCb: spdk_memory_domain_data_cpl_cb?, _ cplCbArg: UnsafeMutableRawPointer?
) -> Int32 {
    spdk_memory_domain_memzero(domain.map(DomainRecord.init), domainCtx, iov, iovCnt, cplCb, cplCbArg)
}
