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
///   and `rdma.lkey` are used, provided the lkey still names a registration of the cache
///   (which is held for the operation); a translation used after invalidate gets -EFAULT;
/// - the system domain, or any RDMA domain of this plugin: host virtual addresses, registered
///   through the cache;
/// - a dma-buf domain (type DMA, id `dmabuf:…`, `dmahost/dmabuf.h`): the source domain's own
///   translate (with the extended `dmahost_dmabuf_translation_result`) gives the CPU mapping
///   and the dma-buf fd/offset. Each piece is registered for this operation alone:
///   `ibv_reg_dmabuf_mr` on the fd (IOVA = the CPU address), or — when the provider cannot,
///   as rxe — the CPU mapping with `ibv_reg_mr`. Not cached: a dma-buf's mapping can be
///   released and its address reused without an invalidate reaching this domain. A CPU
///   mapping the kernel cannot pin (`ibv_reg_mr` fails with EFAULT: the PFN mappings of
///   dma-heap and vgem buffers) gives -ENOTSUP: the arguments are valid, the pair cannot
///   transfer, and the caller can move the data through system memory instead.
/// Anything else: -ENOTSUP.
///
/// The caller checked `src_iov` and `dst_iov` against the contract of `dmahost/iovec.h`. Whatever
/// is read instead of `src_iov` (a translation's entries, the dma-buf's pieces) must hold exactly
/// as many bytes as `dst_iov` (the planner refuses anything else with -EINVAL): nothing is
/// truncated.
enum Transfer {
    static func start(binding: DomainBinding, destination: OpaquePointer?, copy: CheckedCopy,
                      source: OpaquePointer?, sourceContext: UnsafeMutableRawPointer?,
                      translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>?,
                      completion: OperationCompletion) -> Int32 {
        let engine = binding.engine
        let remote = copy.destinationEntries, local = copy.sourceEntries
        if let translation, translation.pointee.size >= Translation.minimumResultSize,
           let target = translation.pointee.dst_domain, DomainBinding.with(target, { $0 === binding }) == true {
            let segments: [KeyedSegment]
            do throws(IOVecError) {
                segments = try keyedSegments(of: translation)
            } catch {
                return error.negativeErrno
            }
            return engine.start(.write, remote: .host(remote), local: .keyed(segments), completion: completion)
        }
        guard let source else { return -EINVAL }
        let host = binding.host
        if source == host.systemDomain || DomainBinding.domains.owns(source) {
            return engine.write(remote: remote, from: local, completion: completion)
        }
        let sourceID = host.id(of: source) ?? ""
        if host.type(of: source) == .dma, sourceID.hasPrefix(DMAHOST_DMABUF_DOMAIN_ID_PREFIX) {
            return startFromDMABuf(engine: engine, destination: destination, remote: remote, source: source, sourceID: sourceID,
                                   sourceContext: sourceContext, local: local, host: host, completion: completion)
        }
        EngineLog.emit("transfer into \(binding.engine.profile.name) from \(sourceID.isEmpty ? "a domain without id" : sourceID) (type \(host.type(of: source)?.description ?? "?")): only the system domain, RDMA domains of this plugin, dma-buf domains and keyed translations are supported")
        return -ENOTSUP
    }

    /// The dma-buf case: translate each source piece, register it for this operation, write.
    static func startFromDMABuf(engine: RDMAEngine, destination: OpaquePointer?, remote: UnsafeBufferPointer<iovec>,
                                source: OpaquePointer, sourceID: String, sourceContext: UnsafeMutableRawPointer?,
                                local: UnsafeBufferPointer<iovec>, host: HostAPI, completion: OperationCompletion) -> Int32 {
        guard let translate = host.table.pointee.spdk_memory_domain_translate_data else { return -ENOTSUP }
        var segments: [KeyedSegment] = []
        var regions: [MemoryRegion] = []
        for entry in local where entry.iov_len > 0 {
            var extended = dmahost_dmabuf_translation_result()
            extended.base.size = MemoryLayout<dmahost_dmabuf_translation_result>.size
            let rc = translate(source, sourceContext, destination, nil, entry.iov_base, entry.iov_len, &extended.base)
            guard rc == 0 else {
                EngineLog.emit("transfer from \(sourceID): its translate returned \(rc); cannot find the CPU mapping of the dma-buf")
                return rc
            }
            let pieces: [iovec]
            if extended.base.iov_count == 1 {
                pieces = [extended.base.iov]
            } else if let iovs = extended.base.iovs, extended.base.iov_count > 1 {
                pieces = Array(UnsafeBufferPointer(start: iovs, count: Int(extended.base.iov_count)))
            } else {
                return -EINVAL
            }
            let view = extended.dmabuf
            let hasFD = pieces.count == 1 && view.size >= MemoryLayout<dmahost_dmabuf_translation>.size && view.fd >= 0
            for piece in pieces where piece.iov_len > 0 {
                guard let base = piece.iov_base else { return -EINVAL }
                do throws(VerbsError) {
                    let region = hasFD
                        ? try engine.registerDMABuf(fd: view.fd, offset: view.offset, length: piece.iov_len, cpuMapping: base).region
                        : try engine.protectionDomain.registerMemory(address: base, length: piece.iov_len, access: Registrations.access)
                    regions.append(region)
                    segments.append(KeyedSegment(address: UInt64(UInt(bitPattern: base)), length: UInt64(piece.iov_len), key: region.lkey))
                } catch where error.function == "ibv_reg_mr" && error.errno == EFAULT {
                    // Valid memory the kernel cannot pin (a PFN mapping: dma-heap and vgem
                    // buffers), on a device that cannot register the dma-buf itself (rxe): the
                    // pair cannot transfer, the arguments are fine, so -ENOTSUP, not -EFAULT.
                    EngineLog.emit("transfer from \(sourceID): \(error); its CPU mapping cannot be pinned and "
                                   + "\(engine.profile.name) cannot register the dma-buf itself: -ENOTSUP (move the data through system memory)")
                    return -ENOTSUP
                } catch {
                    EngineLog.emit("transfer from \(sourceID): \(error)")
                    return -error.errno
                }
            }
        }
        return engine.start(.write, remote: .host(remote), local: .owned(segments, regions), completion: completion)
    }

    /// The source buffers of a translation with its lkey, after checking them like an iovec
    /// list of `dmahost/iovec.h` (the planner then requires their total to be the destination's).
    /// - Throws: ``IOVecError/invalidArgument`` when the translation has no entries (or a NULL
    ///   `iovs` with several), or the list's own error.
    static func keyedSegments(of translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>) throws(IOVecError) -> [KeyedSegment] {
        let key = translation.pointee.rdma.lkey
        let count = translation.pointee.iov_count
        let entries: UnsafePointer<iovec>
        if count == 1, let offset = MemoryLayout<spdk_memory_domain_translation_result>.offset(of: \.iov) {
            entries = (UnsafeRawPointer(translation) + offset).assumingMemoryBound(to: iovec.self)
        } else if count > 1, let iovs = translation.pointee.iovs {
            entries = UnsafePointer(iovs)
        } else {
            throw .invalidArgument
        }
        _ = try IOVecContract.checkList(entries, count: count)
        return UnsafeBufferPointer(start: entries, count: Int(count)).map {
            KeyedSegment(address: UInt64(UInt(bitPattern: $0.iov_base)), length: UInt64($0.iov_len), key: key)
        }
    }
}
