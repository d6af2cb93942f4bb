import DMADriverKit

/// A mapped dma-buf: the fd, the CPU mapping of a page-aligned range of it, and what keeps the
/// memory alive elsewhere (the udmabuf's memfd, the GEM handle on a DRM device). The mapping is
/// removed and the fds closed when the last reference goes.
///
/// The CPU mapping of a udmabuf made from one whole memfd is a shared mapping of that memfd: the
/// same pages as the dma-buf, but an ordinary shmem mapping, which the kernel can pin
/// (`ibv_reg_mr`, `O_DIRECT`). The mappings dma-buf exporters give (udmabuf, heaps and DRM GEM
/// objects on 6.x kernels) are `VM_PFNMAP`, which cannot be pinned: registering them fails with EFAULT.
public final class DMABuffer: Sendable, CustomStringConvertible {
    /// The dma-buf.
    public let file: DMABufFile
    /// The CPU mapping of [`offset`, `offset + mapping.length`) of the dma-buf.
    public let mapping: Mapping
    /// Offset of the mapping within the dma-buf (whole pages).
    public let offset: UInt64
    /// udmabuf only: the memfd whose pages the dma-buf is made of.
    public let memfd: OwnedFileDescriptor?
    /// DRM only: the buffer's GEM handle on the domain's device.
    public let gem: GEMHandle?
    /// True when the CPU mapping is of ``memfd`` (pinnable); false when it is of the dma-buf.
    public let mapsMemfd: Bool

    /// Maps [`offset`, `offset + length`) of `file` (length nil: to the end).
    /// - Parameters:
    ///   - memfd: For a udmabuf made of this whole memfd (from offset 0): the memfd, which is then
    ///     what gets mapped (same pages, pinnable mapping).
    /// - Throws: ``DMAError/invalidArgument(_:)`` for a misaligned offset or a range outside the
    ///   dma-buf; mmap errors (EACCES for a read-only dma-buf).
    public init(file: DMABufFile, offset: UInt64 = 0, length: UInt64? = nil,
                memfd: OwnedFileDescriptor? = nil, gem: GEMHandle? = nil) throws(DMAError) {
        guard offset < file.size else {
            throw .invalidArgument("offset \(offset) is not inside \(file) (\(file.size) bytes)")
        }
        let available = file.size - offset
        let count = length ?? available
        guard count > 0, count <= available else {
            throw .invalidArgument("range [\(offset), \(offset &+ count)) is not inside \(file) (\(file.size) bytes); pass a length of at most \(available), or 0 for the rest")
        }
        guard let mapped = Int(exactly: count) else { throw .invalidArgument("length \(count) is too large to map") }
        if let memfd {
            self.mapping = try Mapping(fd: memfd.rawValue, offset: offset, length: mapped, what: "memfd \(memfd.rawValue) of \(file)")
        } else {
            self.mapping = try Mapping(fd: file.fd, offset: offset, length: mapped, what: "\(file)")
        }
        self.mapsMemfd = memfd != nil
        self.file = file
        self.offset = offset
        self.memfd = memfd
        self.gem = gem
    }

    /// First byte of the CPU mapping.
    public var base: UnsafeMutableRawPointer { mapping.base }
    /// Length of the CPU mapping.
    public var length: Int { mapping.length }

    /// Begins CPU access (`DMA_BUF_IOCTL_SYNC` START).
    public func beginAccess(_ access: CPUAccess) throws(DMAError) { try file.beginAccess(access) }
    /// Ends CPU access (`DMA_BUF_IOCTL_SYNC` END).
    public func endAccess(_ access: CPUAccess) throws(DMAError) { try file.endAccess(access) }

    public var description: String { "\(file) mapped at \(mapping.base) (+\(offset), \(mapping.length) bytes)" }
}
