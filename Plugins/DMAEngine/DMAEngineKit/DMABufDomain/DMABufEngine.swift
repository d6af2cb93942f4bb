import CDMAHostABI
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The state behind one dma-buf memory domain: its buffer source, the buffers it owns, and the
/// worker its operations run on. The domain's user context points here (see `dmahost/dmabuf.h`).
final class DMABufEngine: Sendable {
    /// The domain id ("dmabuf:udmabuf").
    let domainID: String
    /// Where buffers come from.
    let source: DMABufSource
    /// The buffers the domain owns.
    let buffers: BufferTable
    /// Where operations run.
    let worker: Worker
    /// The host that created the domain.
    let host: HostAPI

    init(domainID: String, source: DMABufSource, host: HostAPI, limit: Int = 1024) {
        self.domainID = domainID
        self.source = source
        self.buffers = BufferTable(domainID: domainID)
        self.worker = Worker(label: "dmahost.\(domainID)", limit: limit)
        self.host = host
    }

    // MARK: Allocation interface

    /// Allocates a buffer and adds it to the domain.
    func allocate(length: UInt64) throws(DMAError) -> DMABuffer {
        let buffer = try source.allocate(length: length)
        buffers.insert(buffer)
        return buffer
    }

    /// Adopts a dma-buf and adds it to the domain.
    func importBuffer(fd: Int32, offset: UInt64, length: UInt64) throws(DMAError) -> DMABuffer {
        let buffer = try source.importBuffer(fd: fd, offset: offset, length: length)
        buffers.insert(buffer)
        return buffer
    }

    /// Removes the buffer mapped at `address`; operations in flight keep it alive until they end.
    func release(address: UInt) throws(DMAError) {
        guard buffers.remove(startingAt: address) != nil else {
            throw .system(errno: ENOENT, "no buffer of domain \(domainID) starts at 0x\(String(address, radix: 16)); pass the address alloc/import_fd returned")
        }
    }

    /// The dma-buf view of [`address`, `address + length`).
    func lookup(address: UInt, length: Int) throws(DMAError) -> dmahost_dmabuf_translation {
        let buffer = try buffers.buffer(containing: address, length: length)
        var out = dmahost_dmabuf_translation()
        out.size = MemoryLayout<dmahost_dmabuf_translation>.size
        out.fd = buffer.file.fd
        out.offset = buffer.offset + UInt64(address - UInt(bitPattern: buffer.base))
        out.length = UInt64(length)
        out.dmabuf_size = buffer.file.size
        out.addr = UnsafeMutableRawPointer(bitPattern: address)
        return out
    }

    // MARK: Data path (each returns 0 when started, or a negated errno)

    /// Copies `bytes` from `source` to `destination` on the worker, inside `plan`'s sync bracket.
    func startCopy(from source: [Piece], to destination: [Piece], bytes: Int, plan: AccessPlan, completion: Completion) -> Int32 {
        guard worker.reserve() else { return -EAGAIN }
        worker.run {
            completion(Self.bracketed(plan) { CPUCopy.copy(from: source, to: destination, bytes: bytes) })
        }
        return 0
    }

    /// Zeroes `pieces` on the worker, inside a WRITE sync bracket of `buffers`.
    func startZero(_ pieces: [Piece], buffers: [DMABuffer], completion: Completion) -> Int32 {
        var plan = AccessPlan()
        plan.add(buffers, .write)
        guard worker.reserve() else { return -EAGAIN }
        worker.run { [plan] in
            completion(Self.bracketed(plan) { CPUCopy.zero(pieces) })
        }
        return 0
    }

    /// Runs `body` between `plan.begin()` and `plan.end()`; returns 0 or the first error as -errno.
    static func bracketed(_ plan: AccessPlan, _ body: () -> Void) -> Int32 {
        do throws(DMAError) {
            try plan.begin()
        } catch {
            return error.negativeErrno
        }
        body()
        return plan.end()?.negativeErrno ?? 0
    }

    /// pull: domain buffers → local memory. The lists passed the contract of `dmahost/iovec.h`.
    func pull(_ copy: CheckedCopy, completion: Completion) throws(DMAError) -> Int32 {
        let source = Piece.list(copy.sourceEntries), destination = Piece.list(copy.destinationEntries)
        var plan = AccessPlan()
        plan.add(try buffers.resolve(source), .read)
        return startCopy(from: source, to: destination, bytes: copy.length, plan: plan, completion: completion)
    }

    /// push: local memory → domain buffers. The lists passed the contract of `dmahost/iovec.h`.
    func push(_ copy: CheckedCopy, completion: Completion) throws(DMAError) -> Int32 {
        let source = Piece.list(copy.sourceEntries), destination = Piece.list(copy.destinationEntries)
        var plan = AccessPlan()
        plan.add(try buffers.resolve(destination), .write)
        return startCopy(from: source, to: destination, bytes: copy.length, plan: plan, completion: completion)
    }

    /// memzero of domain buffers. The list passed the contract of `dmahost/iovec.h`.
    func memzero(_ fill: CheckedFill, completion: Completion) throws(DMAError) -> Int32 {
        let pieces = Piece.list(fill.entries)
        return startZero(pieces, buffers: try buffers.resolve(pieces), completion: completion)
    }

    /// transfer: `sourceDomain` → this domain; the lists passed the contract of `dmahost/iovec.h`.
    /// System memory and dma-buf domains of this backend are copied through their CPU mappings;
    /// any other domain is asked to pull into this domain's mappings.
    func transfer(_ copy: CheckedCopy, sourceDomain: OpaquePointer, sourceContext: UnsafeMutableRawPointer?,
                  completion: Completion) throws(DMAError) -> Int32 {
        let destination = Piece.list(copy.destinationEntries)
        let destinationBuffers = try buffers.resolve(destination)
        if sourceDomain == host.systemDomain {
            var plan = AccessPlan()
            plan.add(destinationBuffers, .write)
            return startCopy(from: Piece.list(copy.sourceEntries), to: destination, bytes: copy.length, plan: plan, completion: completion)
        }
        let source = Piece.list(copy.sourceEntries)
        if let sourceBuffers = Self.domains.withOwner(of: sourceDomain, { sourceEngine in
            Result { () throws(DMAError) in try sourceEngine.buffers.resolve(source) }
        }) {
            var plan = AccessPlan()
            plan.add(try sourceBuffers.get(), .read)
            plan.add(destinationBuffers, .write)
            return startCopy(from: source, to: destination, bytes: copy.length, plan: plan, completion: completion)
        }
        return try delegatedTransfer(copy, destination: destination, buffers: destinationBuffers, sourceDomain: sourceDomain,
                                     sourceContext: sourceContext, completion: completion)
    }
}
