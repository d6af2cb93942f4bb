import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A buffer of a dma-buf domain (`struct dmahost_dmabuf_buffer`).
public struct DMABufAllocation: Hashable, @unchecked Sendable {
    // @unchecked Sendable: a plain address and numbers; the memory is shared by design and
    // synchronised by the domain's operations.
    /// Start of the CPU mapping; iovecs in the domain's address space point into it.
    public var address: UnsafeMutableRawPointer
    /// Length of the mapping.
    public var length: Int
    /// Offset of `address` within the dma-buf.
    public var offset: UInt64
    /// The dma-buf fd, owned by the domain (dup it to keep it past ``DMABufDomainInterface/release(_:)``).
    public var fd: Int32
    /// udmabuf: the backing memfd (owned by the domain); nil otherwise.
    public var memfd: Int32?
    /// DRM: the GEM handle on the domain's device; nil otherwise.
    public var gemHandle: UInt32?

    /// The whole mapping as raw bytes.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: address, count: length) }

    init(_ c: dmahost_dmabuf_buffer) throws(DMAError) {
        guard let addr = c.addr else { throw .ioError("the dma-buf domain returned a buffer without an address") }
        address = addr
        length = Int(c.length)
        offset = c.offset
        fd = c.fd
        memfd = c.memfd >= 0 ? c.memfd : nil
        gemHandle = c.gem_handle != 0 ? c.gem_handle : nil
    }
}

/// A range of a dma-buf domain seen as a dma-buf (`struct dmahost_dmabuf_translation`).
public struct DMABufRange: Sendable, Hashable {
    /// The dma-buf fd (owned by the domain).
    public var fd: Int32
    /// Offset within the dma-buf.
    public var offset: UInt64
    /// Length in bytes.
    public var length: UInt64
    /// Size of the whole dma-buf.
    public var dmabufSize: UInt64
}

/// The Swift face of a dma-buf domain's allocation interface (`dmahost/dmabuf.h`): allocate,
/// import, release and look up buffers of a domain created by the dmaengine backend. It calls
/// the C function pointers in the domain's user context, so it works with any copy of the backend.
public struct DMABufDomainInterface: @unchecked Sendable {
    // @unchecked Sendable: the context is a host-owned copy that stays valid and unchanged until
    // the domain is destroyed, and its functions may be called from any thread (dmabuf.h).
    private let context: UnsafePointer<dmahost_dmabuf_domain_ctx>

    /// Wraps a domain's user context (`MemoryDomain.userContext`, `spdk_memory_domain_get_user_context`).
    /// - Throws: ``DMAError/invalidArgument(_:)`` when it is not a dma-buf domain's.
    public init(userContext: UnsafeRawBufferPointer?) throws(DMAError) {
        guard let userContext, let base = userContext.baseAddress,
              let context = dmahost_dmabuf_domain_ctx_get(base, userContext.count) else {
            throw .invalidArgument("not a dma-buf domain (its user context is not a struct dmahost_dmabuf_domain_ctx of version \(DMAHOST_DMABUF_VERSION)); use a domain whose id starts with \"dmabuf:\"")
        }
        self.context = context
    }

    /// Where the domain's buffers come from.
    public var source: dmahost_dmabuf_source { dmahost_dmabuf_source(rawValue: context.pointee.source) }

    /// Allocates a new buffer of at least `length` bytes in the domain.
    public func allocate(length: Int) throws(DMAError) -> DMABufAllocation {
        guard let alloc = context.pointee.alloc else { throw .notSupported("this dma-buf domain cannot allocate") }
        var buffer = dmahost_dmabuf_buffer()
        buffer.size = MemoryLayout<dmahost_dmabuf_buffer>.size
        let rc = alloc(context, UInt64(max(length, 0)), &buffer)
        if rc != 0 { throw DMAError(errno: rc, context: "allocate \(length) bytes in a dma-buf domain") }
        return try DMABufAllocation(buffer)
    }

    /// Adopts (a duplicate of) the dma-buf `fd`, mapping [`offset`, `offset + length`) of it (length 0: to the end).
    public func importBuffer(fd: Int32, offset: UInt64 = 0, length: UInt64 = 0) throws(DMAError) -> DMABufAllocation {
        guard let importFD = context.pointee.import_fd else { throw .notSupported("this dma-buf domain cannot import") }
        var buffer = dmahost_dmabuf_buffer()
        buffer.size = MemoryLayout<dmahost_dmabuf_buffer>.size
        let rc = importFD(context, fd, offset, length, &buffer)
        if rc != 0 { throw DMAError(errno: rc, context: "import dma-buf fd \(fd) into a dma-buf domain") }
        return try DMABufAllocation(buffer)
    }

    /// Removes the buffer that starts at `address` from the domain.
    public func release(_ address: UnsafeMutableRawPointer) throws(DMAError) {
        guard let release = context.pointee.release else { throw .notSupported("this dma-buf domain cannot release") }
        let rc = release(context, address)
        if rc != 0 { throw DMAError(errno: rc, context: "release buffer \(address) of a dma-buf domain") }
    }

    /// Describes [`address`, `address + length`) as a range of a dma-buf.
    public func lookup(_ address: UnsafeRawPointer, length: Int) throws(DMAError) -> DMABufRange {
        guard let lookup = context.pointee.lookup else { throw .notSupported("this dma-buf domain cannot look up buffers") }
        var out = dmahost_dmabuf_translation()
        out.size = MemoryLayout<dmahost_dmabuf_translation>.size
        let rc = lookup(context, address, UInt64(max(length, 0)), &out)
        if rc != 0 { throw DMAError(errno: rc, context: "look up \(length) bytes at \(address) in a dma-buf domain") }
        return DMABufRange(fd: out.fd, offset: out.offset, length: out.length, dmabufSize: out.dmabuf_size)
    }
}
