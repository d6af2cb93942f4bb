import CDMAHostABI
import CIBVerbsShim
import DMADriverKit
import RegistrationCache
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The translate callback of the backend's RDMA domains.
///
/// SPDK calls the *source* domain's translate. Our domains' address space is host virtual
/// memory, so translating `len` bytes at `addr` into an RDMA destination means registering
/// that range in the destination's protection domain and reporting `iov = {addr, len}`,
/// `rdma.lkey` and `rdma.rkey`. The protection domain is, in order:
/// 1. the `pd` of the `ibv_qp` in the translation context (`dst_domain_ctx->rdma.ibv_qp`),
/// 2. the `ibv_pd` of the destination's `spdk_memory_domain_rdma_ctx` user context,
/// 3. the backend's own protection domain.
/// The registration stays valid (pinned in the cache) until an invalidate covers the range.
/// Translating into the system domain gives the identity (no keys).
enum Translation {
    /// Smallest `result->size` accepted: through `rdma.rkey`.
    static let minimumResultSize = MemoryLayout<spdk_memory_domain_translation_result>.size
    /// Smallest `dst_domain_ctx->size` that covers `rdma.ibv_qp`.
    static let minimumContextSize = MemoryLayout<spdk_memory_domain_translation_ctx>.size

    /// Translates a buffer whose arguments passed ``IOVecContract/checkTranslate(address:length:result:)``.
    /// - Returns: 0, -EINVAL for a NULL destination, -ENOTSUP for a destination that is neither
    ///   RDMA nor the system domain, or the registration's error.
    static func translate(binding: DomainBinding, source: OpaquePointer?, destination: OpaquePointer?,
                          destinationContext: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>?,
                          _ checked: CheckedTranslation) -> Int32 {
        guard let destination else { return -EINVAL }
        let (address, length) = (checked.address, checked.length)
        let host = binding.host
        if destination == host.systemDomain {
            checked.answer(for: destination)
            return 0
        }
        guard host.type(of: destination) == .rdma else {
            EngineLog.emit("translate from \(host.id(of: source ?? destination) ?? "an RDMA domain") into \(host.id(of: destination) ?? "a domain") of type \(host.type(of: destination)?.description ?? "?"): only RDMA destinations (keys) and the system domain (identity) are supported")
            return -ENOTSUP
        }
        do throws(RegistrationCacheError) {
            let keys = try binding.engine.translate(address: address, length: length,
                                                    foreignPD: protectionDomain(for: destination, context: destinationContext, host: host))
            checked.answer(for: destination, lkey: keys.lkey, rkey: keys.rkey)
            return 0
        } catch {
            EngineLog.emit("translate \(length) bytes at \(address): \(error)")
            return -error.errno
        }
    }

    /// The `ibv_pd` the keys must belong to (rules 1 and 2 above); nil for the backend's own.
    static func protectionDomain(for destination: OpaquePointer, context: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>?,
                                 host: HostAPI) -> UnsafeMutableRawPointer? {
        if let context, context.pointee.size >= minimumContextSize,
           let qp = context.pointee.rdma.ibv_qp?.assumingMemoryBound(to: ibv_qp.self), let pd = qp.pointee.pd {
            return UnsafeMutableRawPointer(pd)
        }
        var size = 0
        if let user = host.table.pointee.spdk_memory_domain_get_user_context?(destination, &size),
           size >= MemoryLayout<spdk_memory_domain_rdma_ctx>.size {
            let rdma = user.loadUnaligned(as: spdk_memory_domain_rdma_ctx.self)
            if rdma.size >= MemoryLayout<spdk_memory_domain_rdma_ctx>.size { return rdma.ibv_pd }
        }
        return nil
    }
}
