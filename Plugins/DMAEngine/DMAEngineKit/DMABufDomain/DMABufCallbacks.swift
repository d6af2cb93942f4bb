import CDMAHostABI
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The spdk_memory_domain_* callbacks of dma-buf domains. Each finds its engine through the
// domain's user context, converts the C arguments, and returns 0 or a negated errno; refusals
// are logged through the host with their reason.

extension DMABufEngine {
    /// The dma-buf domains of this backend, each owned by its engine.
    static let domains = DomainOwnership<DMABufEngine>()

    /// The engine a user context points to, when the context was made by this copy of the backend
    /// (its alloc function is ours: the impl pointer is then the engine that owns the domain).
    static func from(context: UnsafePointer<dmahost_dmabuf_domain_ctx>) -> DMABufEngine? {
        guard let alloc = context.pointee.alloc, let impl = context.pointee.impl,
              unsafeBitCast(alloc, to: UnsafeRawPointer.self) == unsafeBitCast(dmabufContextAlloc, to: UnsafeRawPointer.self) else {
            return nil
        }
        return Unmanaged<DMABufEngine>.fromOpaque(impl).takeUnretainedValue()
    }

    /// Runs a callback body: a thrown error is logged and returned as -errno.
    func respond(_ what: @autoclosure () -> String, _ body: () throws(DMAError) -> Int32) -> Int32 {
        do throws(DMAError) {
            return try body()
        } catch {
            host.log(.warning, "\(what()) in \(domainID) refused: \(error.message)")
            return error.negativeErrno
        }
    }
}

extension IOVecError {
    /// Logs a refusal through the host of `domain`'s engine (when it is one of ours) and returns
    /// the errno for the callback.
    func refused(_ what: String, in domain: OpaquePointer?) -> Int32 {
        DMABufEngine.domains.withOwner(of: domain) { engine in
            engine.host.log(.warning, "\(what) in \(engine.domainID) refused: \(dmaError(what).message)")
        }
        return negativeErrno
    }
}

/// The domain callbacks. Each first checks its arguments against the contract of
/// `dmahost/iovec.h` (``IOVecContract``: -EINVAL or -EFAULT, logged), then finds its engine
/// (-ENODEV when the domain is not one of ours).
enum DMABufCallbacks {
    /// All callbacks of a dma-buf domain.
    static let all = DomainCallbackSet(translate: translate, invalidate: invalidate, pull: pull, push: push,
                                       transfer: transfer, memzero: memzero)

    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, srcIov, srcCount, dstIov, dstCount, cpl, arg in
        DMABufEngine.domains.startCopy(on: domain, source: srcIov, sourceCount: srcCount, destination: dstIov,
                                       destinationCount: dstCount, completion: cpl,
                                       refused: { $0.refused("pull", in: domain) }) { engine, copy in
            engine.respond("pull") { () throws(DMAError) -> Int32 in
                try engine.pull(copy, completion: Completion(callback: copy.completion, argument: arg))
            }
        }
    }

    static let push: spdk_memory_domain_push_data_cb = { domain, _, dstIov, dstCount, srcIov, srcCount, cpl, arg in
        DMABufEngine.domains.startCopy(on: domain, source: srcIov, sourceCount: srcCount, destination: dstIov,
                                       destinationCount: dstCount, completion: cpl,
                                       refused: { $0.refused("push", in: domain) }) { engine, copy in
            engine.respond("push") { () throws(DMAError) -> Int32 in
                try engine.push(copy, completion: Completion(callback: copy.completion, argument: arg))
            }
        }
    }

    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, iov, count, cpl, arg in
        DMABufEngine.domains.startMemzero(on: domain, buffers: iov, count: count, completion: cpl,
                                          refused: { $0.refused("memzero", in: domain) }) { engine, fill in
            engine.respond("memzero") { () throws(DMAError) -> Int32 in
                try engine.memzero(fill, completion: Completion(callback: fill.completion, argument: arg))
            }
        }
    }

    static let transfer: spdk_memory_domain_transfer_data_cb = { dstDomain, _, dstIov, dstCount, srcDomain, srcContext, srcIov, srcCount, _, cpl, arg in
        DMABufEngine.domains.startCopy(on: dstDomain, source: srcIov, sourceCount: srcCount, destination: dstIov,
                                       destinationCount: dstCount, completion: cpl,
                                       refused: { $0.refused("transfer", in: dstDomain) }) { engine, copy in
            guard let srcDomain else { return -EINVAL }
            return engine.respond("transfer") { () throws(DMAError) -> Int32 in
                try engine.transfer(copy, sourceDomain: srcDomain, sourceContext: srcContext,
                                    completion: Completion(callback: copy.completion, argument: arg))
            }
        }
    }

    static let translate: spdk_memory_domain_translate_memory_cb = { srcDomain, _, dstDomain, _, addr, length, result in
        DMABufEngine.domains.startTranslate(on: srcDomain, address: addr, length: length, result: result,
                                            refused: { $0.refused("translate", in: srcDomain) }) { engine, checked in
            engine.respond("translate") { () throws(DMAError) -> Int32 in
                try engine.translate(destination: dstDomain, checked)
            }
        }
    }

    static let invalidate: spdk_memory_domain_invalidate_data_cb = { domain, _, iov, count in
        _ = DMABufEngine.domains.withOwner(of: domain) { engine in
            engine.respond("invalidate") { () throws(DMAError) -> Int32 in
                try engine.invalidate(try Piece.list(iov, count: count, role: "invalidate"))
                return 0
            }
        }
    }
}

// MARK: - The allocation interface in the user context (struct dmahost_dmabuf_domain_ctx)

/// Fills a `struct dmahost_dmabuf_buffer` for `buffer`.
private func describe(_ buffer: DMABuffer, into out: UnsafeMutablePointer<dmahost_dmabuf_buffer>) {
    out.pointee.addr = buffer.base
    out.pointee.length = UInt64(buffer.length)
    out.pointee.offset = buffer.offset
    out.pointee.fd = buffer.file.fd
    out.pointee.memfd = buffer.memfd?.rawValue ?? -1
    out.pointee.gem_handle = buffer.gem?.handle ?? 0
    out.pointee.reserved = 0
}

private func checkedEngine(_ context: UnsafePointer<dmahost_dmabuf_domain_ctx>?) -> DMABufEngine? {
    context.flatMap { DMABufEngine.from(context: $0) }
}

private func bufferSizeOK(_ out: UnsafeMutablePointer<dmahost_dmabuf_buffer>?) -> Bool {
    guard let out else { return false }
    return out.pointee.size >= MemoryLayout<dmahost_dmabuf_buffer>.size
}

/// `alloc` of the allocation interface.
let dmabufContextAlloc: @convention(c) (UnsafePointer<dmahost_dmabuf_domain_ctx>?, UInt64, UnsafeMutablePointer<dmahost_dmabuf_buffer>?) -> Int32 = { context, length, out in
    guard let engine = checkedEngine(context), let out, bufferSizeOK(out) else { return -EINVAL }
    return engine.respond("alloc(\(length))") { () throws(DMAError) -> Int32 in
        describe(try engine.allocate(length: length), into: out)
        return 0
    }
}

/// `import_fd` of the allocation interface.
let dmabufContextImport: @convention(c) (UnsafePointer<dmahost_dmabuf_domain_ctx>?, Int32, UInt64, UInt64, UnsafeMutablePointer<dmahost_dmabuf_buffer>?) -> Int32 = { context, fd, offset, length, out in
    guard let engine = checkedEngine(context), let out, bufferSizeOK(out) else { return -EINVAL }
    return engine.respond("import_fd(\(fd))") { () throws(DMAError) -> Int32 in
        describe(try engine.importBuffer(fd: fd, offset: offset, length: length), into: out)
        return 0
    }
}

/// `release` of the allocation interface.
let dmabufContextRelease: @convention(c) (UnsafePointer<dmahost_dmabuf_domain_ctx>?, UnsafeMutableRawPointer?) -> Int32 = { context, address in
    guard let engine = checkedEngine(context), let address else { return -EINVAL }
    return engine.respond("release") { () throws(DMAError) -> Int32 in
        try engine.release(address: UInt(bitPattern: address))
        return 0
    }
}

/// `lookup` of the allocation interface.
let dmabufContextLookup: @convention(c) (UnsafePointer<dmahost_dmabuf_domain_ctx>?, UnsafeRawPointer?, UInt64, UnsafeMutablePointer<dmahost_dmabuf_translation>?) -> Int32 = { context, address, length, out in
    guard let engine = checkedEngine(context), let address, let out,
          out.pointee.size >= MemoryLayout<dmahost_dmabuf_translation>.size, let count = Int(exactly: length) else { return -EINVAL }
    return engine.respond("lookup") { () throws(DMAError) -> Int32 in
        out.pointee = try engine.lookup(address: UInt(bitPattern: address), length: count)
        return 0
    }
}

extension DMABufEngine {
    /// The public user context of this engine's domain (its allocation interface). `impl` is
    /// this engine, which owns the domain (``domains``) and so outlives it.
    func makeContext() -> dmahost_dmabuf_domain_ctx {
        var context = dmahost_dmabuf_domain_ctx()
        context.size = MemoryLayout<dmahost_dmabuf_domain_ctx>.size
        context.magic = DMAHOST_DMABUF_DOMAIN_MAGIC
        context.version = DMAHOST_DMABUF_VERSION
        context.source = source.cValue
        context.impl = Unmanaged.passUnretained(self).toOpaque()
        context.alloc = dmabufContextAlloc
        context.import_fd = dmabufContextImport
        context.release = dmabufContextRelease
        context.lookup = dmabufContextLookup
        return context
    }
}
