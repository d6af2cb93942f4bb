import CDMAHostABI
import CPUCopyEngine
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The callbacks of a CPU accel domain (spdk/dma.h). The domain's memory is this process's
// virtual memory, so every operation is a copy or fill on the domain's engine. Each callback
// first checks its arguments against the contract of dmahost/iovec.h (IOVecContract: -EINVAL
// or -EFAULT), then returns 0 when the engine accepted the operation (the completion then
// fires exactly once, on a worker or from the context's poll function) or a negated errno:
// -EAGAIN when the engine's queue is full, -ECANCELED once the device is closing, -ENODEV for
// a domain that is not a CPU domain. The iovec arrays must stay valid until completion.

/// The CPU domains of this plugin; each is owned by its engine, which callbacks find without a lock.
let cpuDomains = DomainOwnership<CopyEngine>()

/// True when addresses of `domain` are this process's virtual addresses: the system domain or
/// a CPU accel domain (any domain whose user context is a `struct dmahost_cpu_domain_ctx`).
private func sharesVirtualAddresses(_ domain: OpaquePointer?) -> Bool {
    guard let domain, let host = cpuDomains.host else { return false }
    if domain == host.systemDomain || cpuDomains.owns(domain) { return true }
    var size = 0
    guard let raw = host.table.pointee.spdk_memory_domain_get_user_context?(domain, &size),
          size >= MemoryLayout<dmahost_cpu_domain_ctx>.size else { return false }
    let context = raw.loadUnaligned(as: dmahost_cpu_domain_ctx.self)
    return context.magic == DMAHOST_CPU_DOMAIN_MAGIC && context.size >= MemoryLayout<dmahost_cpu_domain_ctx>.size
}

/// Starts a checked copy on `engine` (pull, push and transfer are all copies in one address
/// space): 0 when accepted, else the submission error as a negated errno.
@inline(__always)
private func start(_ copy: CheckedCopy, on engine: CopyEngine, argument: UnsafeMutableRawPointer?) -> Int32 {
    do throws(SubmitError) {
        try engine.submit(copy, argument: argument)
        return 0
    } catch {
        return error.negativeErrno
    }
}

// Pull and push are C functions (`@c`, local to the plugin) rather than closures converted to
// C function pointers: the dispatch then calls the callback itself, not a thunk that calls it.

/// `spdk_memory_domain_pull_data_cb`: copy out of the CPU domain into local memory.
@c(dmahost_cpu_domain_pull)
private func pullIntoLocal(_ domain: OpaquePointer?, _ domainContext: UnsafeMutableRawPointer?,
                           _ source: UnsafeMutablePointer<iovec>?, _ sourceCount: UInt32,
                           _ destination: UnsafeMutablePointer<iovec>?, _ destinationCount: UInt32,
                           _ callback: spdk_memory_domain_data_cpl_cb?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    cpuDomains.startCopy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
                         destinationCount: destinationCount, completion: callback) { engine, copy in
        start(copy, on: engine, argument: argument)
    }
}

/// `spdk_memory_domain_push_data_cb`: copy local memory into the CPU domain.
@c(dmahost_cpu_domain_push)
private func pushFromLocal(_ domain: OpaquePointer?, _ domainContext: UnsafeMutableRawPointer?,
                           _ destination: UnsafeMutablePointer<iovec>?, _ destinationCount: UInt32,
                           _ source: UnsafeMutablePointer<iovec>?, _ sourceCount: UInt32,
                           _ callback: spdk_memory_domain_data_cpl_cb?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    cpuDomains.startCopy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
                         destinationCount: destinationCount, completion: callback) { engine, copy in
        start(copy, on: engine, argument: argument)
    }
}

/// `spdk_memory_domain_pull_data_cb`: copy out of the CPU domain into local memory.
let cpuDomainPull: spdk_memory_domain_pull_data_cb = pullIntoLocal

/// `spdk_memory_domain_push_data_cb`: copy local memory into the CPU domain.
let cpuDomainPush: spdk_memory_domain_push_data_cb = pushFromLocal

/// `spdk_memory_domain_memzero_cb`: zero buffers of the CPU domain.
let cpuDomainMemzero: spdk_memory_domain_memzero_cb = { domain, _, buffers, count, callback, argument in
    cpuDomains.startMemzero(on: domain, buffers: buffers, count: count, completion: callback) { engine, fill in
        do throws(SubmitError) {
            try engine.submit(fill, pattern: 0, argument: argument)
            return 0
        } catch {
            return error.negativeErrno
        }
    }
}

/// `spdk_memory_domain_transfer_data_cb`: copy from another domain into the CPU domain.
///
/// The source is read through `source_translation` when one is given (its single `iov`, or
/// its `iovs` array when `iov_count > 1`; it must stay valid until completion, and describe as
/// many bytes as `src_iov`, else -EINVAL), or directly when the source domain shares this
/// process's virtual addresses (the system domain or a CPU domain). Any other source domain
/// gives -ENOTSUP: translate it into this domain first.
let cpuDomainTransfer: spdk_memory_domain_transfer_data_cb = {
    domain, _, destination, destinationCount, sourceDomain, _, source, sourceCount, translation, callback, argument in
    do throws(IOVecError) {
        var copy = try IOVecContract.checkCopy(completion: callback, source: source, sourceCount: sourceCount,
                                               destination: destination, destinationCount: destinationCount)
        if let translation {
            guard translation.pointee.size >= MemoryLayout<spdk_memory_domain_translation_result>.size else { return -EINVAL }
            let count = translation.pointee.iov_count
            let readFrom: UnsafePointer<iovec>
            if count == 1, let offset = MemoryLayout<spdk_memory_domain_translation_result>.offset(of: \.iov) {
                readFrom = (UnsafeRawPointer(translation) + offset).assumingMemoryBound(to: iovec.self)
            } else if count > 1, let list = translation.pointee.iovs {
                readFrom = UnsafePointer(list)
            } else {
                return -EINVAL
            }
            // What is read must pass the same checks, and hold the bytes src_iov describes.
            copy = try IOVecContract.checkCopy(completion: copy.completion, source: readFrom, sourceCount: count,
                                               destination: copy.destination, destinationCount: copy.destinationCount)
        } else if !sharesVirtualAddresses(sourceDomain) {
            return -ENOTSUP
        }
        return cpuDomains.withOwner(of: domain) { start(copy, on: $0, argument: argument) } ?? -ENODEV
    } catch {
        return error.negativeErrno
    }
}

/// `spdk_memory_domain_translate_memory_cb`: a CPU domain's memory is virtual memory, so its
/// translation for the system domain or another CPU domain is the identity: one entry
/// `{addr, len}`, no array, no RDMA keys. Arguments are checked first (dmahost/iovec.h: a NULL
/// or too-small result, or a length of 0, is -EINVAL; a NULL or wrapping address -EFAULT); a
/// NULL destination is -EINVAL; other destinations give -ENOTSUP.
let cpuDomainTranslate: spdk_memory_domain_translate_memory_cb = { source, _, destinationDomain, _, address, length, result in
    cpuDomains.startTranslate(on: source, address: address, length: length, result: result) { _, checked in
        guard let destinationDomain else { return -EINVAL }
        guard sharesVirtualAddresses(destinationDomain) else { return -ENOTSUP }
        checked.answer(for: destinationDomain)
        return 0
    }
}

/// `dmahost_cpu_domain_ctx.poll`: delivers finished completions on the calling thread.
let cpuDomainPoll: @convention(c) (UnsafeMutableRawPointer?, UInt32) -> UInt32 = { engine, maxCompletions in
    guard let engine else { return 0 }
    let delivered = Unmanaged<CopyEngine>.fromOpaque(engine)._withUnsafeGuaranteedRef {
        $0.poll(maxCompletions: Int(maxCompletions))
    }
    return UInt32(clamping: delivered)
}

/// The callbacks of every CPU domain.
let cpuDomainCallbacks = DomainCallbackSet(translate: cpuDomainTranslate, pull: cpuDomainPull, push: cpuDomainPush,
                                           transfer: cpuDomainTransfer, memzero: cpuDomainMemzero)
