import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DSAEngine {
    /// The DSA domains of this backend, each owned by its engine (they have no public user context).
    static let domains = DomainOwnership<DSAEngine>()

    /// Runs a callback body: a thrown error is logged and returned as -errno.
    func respond(_ what: String, _ body: () throws(DMAError) -> Int32) -> Int32 {
        do throws(DMAError) {
            return try body()
        } catch {
            host.log(.warning, "\(what) in \(domainID) refused: \(error.message)")
            return error.negativeErrno
        }
    }

    /// A copy between two lists of virtual addresses, which passed the contract of `dmahost/iovec.h`.
    func copy(_ copy: CheckedCopy, completion: Completion) -> Int32 {
        start(DSAOperation.moves(from: Piece.list(copy.sourceEntries), to: Piece.list(copy.destinationEntries),
                                 bytes: copy.length, maxRun: queue.maxTransferSize), completion: completion)
    }
}

/// The callbacks of a DSA domain. Its address space is this process's virtual memory (the
/// queue uses shared virtual addressing), so source and destination are both plain addresses.
/// Each callback first checks its arguments against the contract of `dmahost/iovec.h`
/// (``IOVecContract``: -EINVAL or -EFAULT), then finds its engine (-ENODEV).
enum DSACallbacks {
    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, srcIov, srcCount, dstIov, dstCount, cpl, arg in
        DSAEngine.domains.startCopy(on: domain, source: srcIov, sourceCount: srcCount, destination: dstIov,
                                    destinationCount: dstCount, completion: cpl) { engine, copy in
            engine.copy(copy, completion: Completion(callback: copy.completion, argument: arg))
        }
    }

    static let push: spdk_memory_domain_push_data_cb = { domain, _, dstIov, dstCount, srcIov, srcCount, cpl, arg in
        DSAEngine.domains.startCopy(on: domain, source: srcIov, sourceCount: srcCount, destination: dstIov,
                                    destinationCount: dstCount, completion: cpl) { engine, copy in
            engine.copy(copy, completion: Completion(callback: copy.completion, argument: arg))
        }
    }

    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, iov, count, cpl, arg in
        DSAEngine.domains.startMemzero(on: domain, buffers: iov, count: count, completion: cpl) { engine, fill in
            engine.start(DSAOperation.fills(Piece.list(fill.entries), pattern: 0, maxRun: engine.queue.maxTransferSize),
                         completion: Completion(callback: fill.completion, argument: arg))
        }
    }

    static let transfer: spdk_memory_domain_transfer_data_cb = { dstDomain, _, dstIov, dstCount, srcDomain, _, srcIov, srcCount, _, cpl, arg in
        DSAEngine.domains.startCopy(on: dstDomain, source: srcIov, sourceCount: srcCount, destination: dstIov,
                                    destinationCount: dstCount, completion: cpl) { engine, copy in
            engine.respond("transfer") { () throws(DMAError) -> Int32 in
                guard let srcDomain, srcDomain == engine.host.systemDomain || DSAEngine.domains.owns(srcDomain) else {
                    throw .notSupported("a DSA domain transfers only from system memory or another DSA domain (both virtual addresses); pull other domains into system memory first")
                }
                return engine.copy(copy, completion: Completion(callback: copy.completion, argument: arg))
            }
        }
    }

    /// Identity: a DSA domain's addresses are virtual addresses, usable by any CPU-addressed domain.
    static let translate: spdk_memory_domain_translate_memory_cb = { srcDomain, _, dstDomain, _, addr, length, result in
        DSAEngine.domains.startTranslate(on: srcDomain, address: addr, length: length, result: result) { _, checked in
            checked.answer(for: dstDomain)
            return 0
        }
    }

    /// All callbacks of a DSA domain.
    static let all = DomainCallbackSet(translate: translate, pull: pull, push: push, transfer: transfer, memzero: memzero)
}
