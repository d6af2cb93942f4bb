import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The user context of a DSA domain (private to this backend): a marker and the engine.
struct DSADomainContext {
    /// Marks the context as this backend's ("dsaq").
    static let magic: UInt32 = 0x6473_6171
    var size = MemoryLayout<DSADomainContext>.size
    var magic = DSADomainContext.magic
    /// A +1 reference to the engine, released by the driver after the domain is destroyed.
    var impl: UnsafeMutableRawPointer
}

extension DSAEngine {
    /// The engine behind `domain`, when it is a DSA domain of this backend.
    static func from(_ domain: OpaquePointer?) -> DSAEngine? {
        guard let raw = CallbackHost.userContext(of: domain), raw.count >= MemoryLayout<DSADomainContext>.size,
              let base = raw.baseAddress else { return nil }
        let context = base.loadUnaligned(as: DSADomainContext.self)
        guard context.magic == DSADomainContext.magic else { return nil }
        return Unmanaged<DSAEngine>.fromOpaque(context.impl).takeUnretainedValue()
    }

    /// Runs a callback body: a thrown error is logged and returned as -errno.
    func respond(_ what: String, _ body: () throws(DMAError) -> Int32) -> Int32 {
        do throws(DMAError) {
            return try body()
        } catch {
            host.log(.warning, "\(what) in \(domainID) refused: \(error.message)")
            return error.negativeErrno
        }
    }

    /// A copy between two lists of virtual addresses.
    func copy(from source: [Piece], to destination: [Piece], what: String, completion: Completion) throws(DMAError) -> Int32 {
        let bytes = try DMABufEngine.checkLengths(source: source, destination: destination, what: "\(what) \(domainID)")
        return start(DSAOperation.moves(from: source, to: destination, bytes: bytes, maxRun: queue.maxTransferSize), completion: completion)
    }
}

/// The callbacks of a DSA domain. Its address space is this process's virtual memory (the
/// queue uses shared virtual addressing), so source and destination are both plain addresses.
enum DSACallbacks {
    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, srcIov, srcCount, dstIov, dstCount, cpl, arg in
        guard let engine = DSAEngine.from(domain) else { return -ENODEV }
        guard let cpl else { return -EINVAL }
        return engine.respond("pull") { () throws(DMAError) -> Int32 in
            try engine.copy(from: Piece.list(srcIov, count: srcCount, role: "pull source"),
                            to: Piece.list(dstIov, count: dstCount, role: "pull destination"),
                            what: "pull from", completion: Completion(callback: cpl, argument: arg))
        }
    }

    static let push: spdk_memory_domain_push_data_cb = { domain, _, dstIov, dstCount, srcIov, srcCount, cpl, arg in
        guard let engine = DSAEngine.from(domain) else { return -ENODEV }
        guard let cpl else { return -EINVAL }
        return engine.respond("push") { () throws(DMAError) -> Int32 in
            try engine.copy(from: Piece.list(srcIov, count: srcCount, role: "push source"),
                            to: Piece.list(dstIov, count: dstCount, role: "push destination"),
                            what: "push into", completion: Completion(callback: cpl, argument: arg))
        }
    }

    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, iov, count, cpl, arg in
        guard let engine = DSAEngine.from(domain) else { return -ENODEV }
        guard let cpl else { return -EINVAL }
        return engine.respond("memzero") { () throws(DMAError) -> Int32 in
            let pieces = try Piece.list(iov, count: count, role: "memzero")
            return engine.start(DSAOperation.fills(pieces, pattern: 0, maxRun: engine.queue.maxTransferSize),
                                completion: Completion(callback: cpl, argument: arg))
        }
    }

    static let transfer: spdk_memory_domain_transfer_data_cb = { dstDomain, _, dstIov, dstCount, srcDomain, _, srcIov, srcCount, _, cpl, arg in
        guard let engine = DSAEngine.from(dstDomain) else { return -ENODEV }
        guard let cpl else { return -EINVAL }
        return engine.respond("transfer") { () throws(DMAError) -> Int32 in
            guard let srcDomain, srcDomain == engine.host.systemDomain || DSAEngine.from(srcDomain) != nil else {
                throw .notSupported("a DSA domain transfers only from system memory or another DSA domain (both virtual addresses); pull other domains into system memory first")
            }
            return try engine.copy(from: Piece.list(srcIov, count: srcCount, role: "transfer source"),
                                   to: Piece.list(dstIov, count: dstCount, role: "transfer destination"),
                                   what: "transfer into", completion: Completion(callback: cpl, argument: arg))
        }
    }

    /// Identity: a DSA domain's addresses are virtual addresses, usable by any CPU-addressed domain.
    static let translate: spdk_memory_domain_translate_memory_cb = { srcDomain, _, dstDomain, _, addr, length, result in
        guard DSAEngine.from(srcDomain) != nil else { return -ENODEV }
        guard let result, let addr, length > 0,
              result.pointee.size >= MemoryLayout<spdk_memory_domain_translation_result>.size else { return -EINVAL }
        result.pointee.iov_count = 1
        result.pointee.iov = iovec(iov_base: addr, iov_len: length)
        result.pointee.iovs = nil
        result.pointee.dst_domain = dstDomain
        return 0
    }
}
