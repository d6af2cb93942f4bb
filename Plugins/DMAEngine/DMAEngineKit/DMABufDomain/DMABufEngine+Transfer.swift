import CDMAHostABI
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A transfer delegated to another domain's pull: what its completion must undo and report.
private final class DelegatedTransfer: @unchecked Sendable {
    // @unchecked Sendable: `iovecs` is a copy owned by this box; the source domain reads it until
    // it completes, and it is freed exactly once, in `finish`, by the one completion.
    let plan: AccessPlan
    let iovecs: UnsafeMutableBufferPointer<iovec>
    let completion: Completion
    let worker: Worker

    init(plan: AccessPlan, iovecs: UnsafeMutableBufferPointer<iovec>, completion: Completion, worker: Worker) {
        self.plan = plan
        self.iovecs = iovecs
        self.completion = completion
        self.worker = worker
    }

    /// Ends the sync bracket and frees the iovec copy; returns the error to report, if any.
    func finish(_ rc: Int32) -> Int32 {
        let endError = plan.end()
        iovecs.deallocate()
        return rc != 0 ? rc : (endError?.negativeErrno ?? 0)
    }
}

/// Completion of the other domain's pull in a delegated transfer (`arg` is a retained DelegatedTransfer).
private let delegatedTransferDone: spdk_memory_domain_data_cpl_cb = { argument, rc in
    guard let argument else { return }
    let transfer = Unmanaged<DelegatedTransfer>.fromOpaque(argument).takeRetainedValue()
    let result = transfer.finish(rc)
    transfer.completion(result)
    transfer.worker.release()
}

extension DMABufEngine {
    /// transfer from a domain that is neither system memory nor a dma-buf domain of this backend:
    /// the destination buffers enter a WRITE sync bracket, and the source domain's pull copies into
    /// their CPU mappings; the bracket ends when that pull completes. A pull that refuses those
    /// mappings with -EFAULT (it cannot reach them) makes the transfer -ENOTSUP.
    func delegatedTransfer(_ copy: CheckedCopy, destination: [Piece], buffers destinationBuffers: [DMABuffer],
                           sourceDomain: OpaquePointer, sourceContext: UnsafeMutableRawPointer?,
                           completion: Completion) throws(DMAError) -> Int32 {
        guard let pull = host.table.pointee.spdk_memory_domain_pull_data else {
            throw .notSupported("host table has no spdk_memory_domain_pull_data")
        }
        var plan = AccessPlan()
        plan.add(destinationBuffers, .write)
        guard worker.reserve() else { return -EAGAIN }
        do throws(DMAError) {
            try plan.begin()
        } catch {
            worker.release()
            throw error
        }
        let iovecs = Piece.iovecs(destination)
        let box = Unmanaged.passRetained(DelegatedTransfer(plan: plan, iovecs: iovecs, completion: completion, worker: worker))
        // The destination pieces hold copy.length bytes, as the source list does.
        let rc = pull(sourceDomain, sourceContext, UnsafeMutablePointer(mutating: copy.source), copy.sourceCount,
                      iovecs.baseAddress, UInt32(iovecs.count), delegatedTransferDone, box.toOpaque())
        if rc != 0 {
            // By contract the source never calls back after a non-zero return.
            _ = box.takeRetainedValue().finish(0)
            worker.release()
            if rc == -EFAULT {
                // The lists passed the contract and the destination pieces are this domain's own
                // mappings: the source cannot reach them (an RDMA device that cannot pin a PFN
                // mapping, as rxe with dma-heap and vgem buffers). This pair cannot transfer.
                host.log(.warning, "transfer into \(domainID): the source domain's pull into this domain's CPU mappings returned "
                         + "-EFAULT (memory it cannot reach); returning -ENOTSUP: move the data through system memory")
                return -ENOTSUP
            }
            return rc
        }
        return 0
    }

    /// translate: describes [`address`, `address + length`) for `destination`: the CPU mapping in
    /// `result.iov`, and with an extended result (`dmahost_dmabuf_translation_result`) the dma-buf
    /// too. The arguments passed the contract of `dmahost/iovec.h`.
    func translate(destination: OpaquePointer?, _ checked: CheckedTranslation) throws(DMAError) -> Int32 {
        let (address, length, result) = (checked.address, checked.length, checked.result)
        let view = try lookup(address: UInt(bitPattern: address), length: length)
        checked.answer(for: destination)
        if result.pointee.size >= MemoryLayout<dmahost_dmabuf_translation_result>.size {
            UnsafeMutableRawPointer(result).assumingMemoryBound(to: dmahost_dmabuf_translation_result.self).pointee.dmabuf = view
        }
        return 0
    }

    /// invalidate: `SYNC_START|READ` then `SYNC_END|READ` on each buffer the pieces touch, so the
    /// CPU sees what devices wrote.
    func invalidate(_ pieces: [Piece]) throws(DMAError) {
        for buffer in try buffers.resolve(pieces) {
            try buffer.beginAccess(.read)
            try buffer.endAccess(.read)
        }
    }

    /// Waits for every operation in flight, then drops all buffers (their mappings and fds go
    /// once nothing else references them).
    func shutdown() {
        worker.waitIdle()
        _ = buffers.removeAll()
    }
}
