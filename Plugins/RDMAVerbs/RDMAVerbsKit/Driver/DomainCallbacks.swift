import CDMAHostABI
import CIBVerbsShim
import DMADriverKit
import RegistrationCache
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C callbacks of the backend's RDMA domains (the `spdk_memory_domain_*_cb` typedefs).
///
/// An RDMA domain's address space is host virtual memory registered in the device's
/// protection domain: its iovecs are plain process addresses, and the backend reaches them
/// through lkeys/rkeys from the registration cache. Each callback first checks its arguments
/// against the contract of `dmahost/iovec.h` (``IOVecContract``: -EINVAL or -EFAULT), then
/// finds its engine through ``DomainBinding`` (-ENODEV when the domain is not open) and returns
/// at once; data operations complete on the device's completion thread.
enum DomainCallbacks {
    /// Pull: RDMA READ of `src_iov` (domain side) into the local `dst_iov`.
    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, srcIOV, srcCount, dstIOV, dstCount, callback, argument in
        DomainBinding.domains.startCopy(on: domain, source: srcIOV, sourceCount: srcCount, destination: dstIOV,
                                        destinationCount: dstCount, completion: callback) { binding, copy in
            binding.engine.read(remote: copy.sourceEntries, into: copy.destinationEntries,
                                completion: .callback(copy.completion, argument))
        }
    }

    /// Push: RDMA WRITE of the local `src_iov` to `dst_iov` (domain side).
    static let push: spdk_memory_domain_push_data_cb = { domain, _, dstIOV, dstCount, srcIOV, srcCount, callback, argument in
        DomainBinding.domains.startCopy(on: domain, source: srcIOV, sourceCount: srcCount, destination: dstIOV,
                                        destinationCount: dstCount, completion: callback) { binding, copy in
            binding.engine.write(remote: copy.destinationEntries, from: copy.sourceEntries,
                                 completion: .callback(copy.completion, argument))
        }
    }

    /// Memzero: RDMA has no fill operation, so valid requests get -ENOTSUP; bad arguments get
    /// the errno every domain gives them (`dmahost/iovec.h`), as in the system domain.
    static let memzero: spdk_memory_domain_memzero_cb = { _, _, iov, count, callback, _ in
        do throws(IOVecError) {
            _ = try IOVecContract.checkMemzero(completion: callback, buffers: iov, count: count)
            return -ENOTSUP
        } catch {
            return error.negativeErrno
        }
    }

    /// Translate: keys for a host buffer (see ``Translation``).
    static let translate: spdk_memory_domain_translate_memory_cb = { source, _, destination, destinationContext, address, length, result in
        DomainBinding.domains.startTranslate(on: source, address: address, length: length, result: result) { binding, checked in
            Translation.translate(binding: binding, source: source, destination: destination,
                                  destinationContext: destinationContext, checked)
        }
    }

    /// Invalidate: drop the registrations overlapping each buffer.
    static let invalidate: spdk_memory_domain_invalidate_data_cb = { domain, _, iov, count in
        guard let buffers = buffer(iov, count) else { return }
        DomainBinding.with(domain) { binding in
            for entry in buffers {
                guard let base = entry.iov_base, entry.iov_len > 0 else { continue }
                binding.engine.invalidate(address: base, length: entry.iov_len)
            }
        }
    }

    /// Transfer: RDMA WRITE from a source domain's buffers into `dst_iov` (see ``Transfer``).
    static let transfer: spdk_memory_domain_transfer_data_cb = { destination, _, dstIOV, dstCount, source, sourceContext,
        srcIOV, srcCount, translation, callback, argument in
        DomainBinding.domains.startCopy(on: destination, source: srcIOV, sourceCount: srcCount, destination: dstIOV,
                                        destinationCount: dstCount, completion: callback) { binding, copy in
            Transfer.start(binding: binding, destination: destination, copy: copy, source: source,
                           sourceContext: sourceContext, translation: translation,
                           completion: .callback(copy.completion, argument))
        }
    }

    /// All callbacks of an RDMA domain.
    static let all = DomainCallbackSet(translate: translate, invalidate: invalidate, pull: pull, push: push,
                                       transfer: transfer, memzero: memzero)

    /// An iovec array as a buffer; nil when the pointer is NULL with a non-zero count.
    static func buffer(_ iov: UnsafeMutablePointer<iovec>?, _ count: UInt32) -> UnsafeBufferPointer<iovec>? {
        guard count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        guard let iov else { return nil }
        return UnsafeBufferPointer(start: iov, count: Int(count))
    }
}
