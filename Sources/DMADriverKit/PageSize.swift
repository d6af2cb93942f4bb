#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The system page size and page rounding, for the host and every backend: dma-buf mappings,
/// udmabuf ranges and import offsets are in whole pages, memory registrations are page
/// aligned, and the CPU copy engine splits large operations into whole pages.
public enum PageSize {
    /// `sysconf(_SC_PAGESIZE)` (4096 when sysconf fails).
    public static let bytes: Int = {
        let value = sysconf(Int32(_SC_PAGESIZE))
        return value > 0 ? value : 4096
    }()

    /// True when `value` is a multiple of the page size.
    public static func isAligned(_ value: UInt64) -> Bool { value % UInt64(bytes) == 0 }

    /// `value` rounded up to a multiple of the page size; nil on overflow.
    public static func roundUp(_ value: UInt64) -> UInt64? {
        let page = UInt64(bytes)
        let (sum, overflow) = value.addingReportingOverflow(page - 1)
        return overflow ? nil : sum / page * page
    }

    /// A byte count rounded up to a multiple of the page size.
    /// - Precondition: `byteCount` is 0 ... `Int.max - bytes + 1`: the caller's arithmetic
    ///   bounds it (use ``roundUp(_:)`` for a value that may come near `Int.max`).
    public static func roundUp(byteCount: Int) -> Int {
        precondition(byteCount >= 0 && byteCount <= Int.max - (bytes - 1), "page rounding of \(byteCount) bytes")
        return (byteCount + bytes - 1) / bytes * bytes
    }
}
