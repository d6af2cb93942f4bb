import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The transfer callback of the backend's RDMA domains: RDMA WRITE from a source domain's
/// buffers into the destination (ours). Where the source bytes are:
/// - a translation (`src_translation`) made for one of this device's domains: its `iov`/`iovs`
///   and `rdma.lkey` are used as given (no registration; a stale key fails with -EFAULT);
/// - the system domain, or any RDMA domain of this plugin: host virtual addresses, registered
///   through the cache;
/// - a dma-buf domain (type DMA, id `dmabuf:…`): the source domain's own translate into our
///   domain gives the buffer's CPU mapping (`iov`), which is registered through the cache (the
///   dma-buf fd is not part of that contract, so `ibv_reg_dmabuf_mr` is not tried here; see
///   ``RDMAEngine/registerDMABuf(fd:offset:length:cpuMapping:)``).
/// Anything else: -ENOTSUP.
enum Transfer {
    static func start(binding: DomainTable.Binding, destination: OpaquePointer?, remote: UnsafeBufferPointer<iovec>,
                      source: OpaquePointer?, sourceContext: UnsafeMutableRawPointer?, local: UnsafeBufferPointer<iovec>,
                      translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>?,
                      completion: OperationCompletion) -> Int32 {
        let engine = binding.engine
        if let translation, translation.pointee.size >= Translation.minimumResultSize,
           let target = translation.pointee.dst_domain, binding.domains.contains(UInt(bitPattern: target)) {
            guard let segments = keyedSegments(of: translation.pointee) else { return -EINVAL }
            return engine.start(.write, remote: .host(remote), local: .keyed(segments), completion: completion)
        }
        guard let source else { return -EINVAL }
        let host = binding.host
        if source == host.systemDomain || DomainTable.lookup(source) != nil {
            return engine.write(remote: remote, from: local, completion: completion)
        }
        let sourceID = host.id(of: source) ?? ""
        if host.type(of: source) == .dma, sourceID.hasPrefix("dmabuf:") {
            var mappings: [iovec] = []
            for entry in local where entry.iov_len > 0 {
                var result = spdk_memory_domain_translation_result()
                result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
                let rc = host.table.pointee.spdk_memory_domain_translate_data?(source, sourceContext, destination, nil,
                                                                             entry.iov_base, entry.iov_len, &result) ?? -ENOTSUP
                guard rc == 0 else {
                    EngineLog.emit("transfer from \(sourceID): its translate returned \(rc); cannot find the CPU mapping of the dma-buf")
                    return rc
                }
                if result.iov_count == 1 {
                    mappings.append(result.iov)
                } else if let iovs = result.iovs, result.iov_count > 1 {
                    mappings.append(contentsOf: UnsafeBufferPointer(start: iovs, count: Int(result.iov_count)))
                } else {
                    return -EINVAL
                }
            }
            return mappings.withUnsafeBufferPointer { engine.write(remote: remote, from: $0, completion: completion) }
        }
        EngineLog.emit("transfer into \(binding.engine.profile.name) from \(sourceID.isEmpty ? "a domain without id" : sourceID) (type \(host.type(of: source)?.description ?? "?")): only the system domain, RDMA domains of this plugin, dma-buf domains and keyed translations are supported")
        return -ENOTSUP
    }

    /// The source buffers of a translation with its lkey; nil when it has none.
    static func keyedSegments(of translation: spdk_memory_domain_translation_result) -> [KeyedSegment]? {
        let key = translation.rdma.lkey
        if translation.iov_count == 1 {
            return [KeyedSegment(address: UInt64(UInt(bitPattern: translation.iov.iov_base)), length: UInt64(translation.iov.iov_len), key: key)]
        }
        guard translation.iov_count > 1, let iovs = translation.iovs else { return nil }
        return UnsafeBufferPointer(start: iovs, count: Int(translation.iov_count)).map {
            KeyedSegment(address: UInt64(UInt(bitPattern: $0.iov_base)), length: UInt64($0.iov_len), key: key)
        }
    }
}
