import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A shared read-write CPU mapping of part of a file (`mmap(MAP_SHARED)`), unmapped when deinitialised.
public final class Mapping: @unchecked Sendable, CustomStringConvertible {
    // @unchecked Sendable: `base` and `length` never change; the memory they describe is shared
    // with devices by design, and callers synchronise access to it (DMA_BUF_IOCTL_SYNC, completions).

    /// First mapped byte.
    public let base: UnsafeMutableRawPointer
    /// Mapped length in bytes.
    public let length: Int

    /// Maps [`offset`, `offset + length`) of `fd` read-write and shared.
    /// - Throws: ``DMAError/invalidArgument(_:)`` for a misaligned offset or zero length;
    ///   EACCES with a remedy when the file is not open for writing; other mmap errors.
    public init(fd: Int32, offset: UInt64, length: Int, what: String) throws(DMAError) {
        guard length > 0 else { throw .invalidArgument("cannot map 0 bytes of \(what)") }
        guard PageSize.isAligned(offset) else {
            throw .invalidArgument("offset \(offset) into \(what) is not a multiple of the page size (\(PageSize.bytes)): mmap maps whole pages; map from offset \(offset / UInt64(PageSize.bytes) * UInt64(PageSize.bytes)) and add \(offset % UInt64(PageSize.bytes)) to the address")
        }
        guard offset <= UInt64(Int64.max) else { throw .invalidArgument("offset \(offset) into \(what) is too large") }
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset))
        guard let address, address != MAP_FAILED else {
            let code = errno
            throw SystemCall.error(errno: code, operation: "mmap \(length) bytes of \(what) at offset \(offset)", hint: code == EACCES
                ? "the fd is not open for reading and writing (export dma-bufs with O_RDWR / DRM_RDWR)" : nil)
        }
        base = address
        self.length = length
    }

    /// The mapping as raw bytes.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: length) }

    /// True when [`address`, `address + count`) lies inside the mapping.
    public func contains(_ address: UnsafeRawPointer, count: Int) -> Bool {
        let start = UInt(bitPattern: address)
        let first = UInt(bitPattern: base)
        guard start >= first, count >= 0 else { return false }
        let offset = start - first
        return offset <= UInt(length) && UInt(count) <= UInt(length) - offset
    }

    deinit { munmap(base, length) }

    public var description: String { "mapping \(base)+\(length)" }
}
