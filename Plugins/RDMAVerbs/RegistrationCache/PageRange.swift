/// A page-aligned range of virtual addresses, `start ..< end`.
public struct PageRange: Hashable, Sendable, CustomStringConvertible {
    /// First address of the range (page-aligned).
    public let start: UInt
    /// One past the last address of the range (page-aligned).
    public let end: UInt

    /// The smallest page-aligned range that contains `length` bytes at `address`.
    /// - Returns: nil when `length` is zero, `pageSize` is not a power of two, or the range
    ///   would wrap around the end of the address space.
    @inlinable
    public init?(covering address: UInt, length: UInt, pageSize: UInt) {
        guard length > 0, pageSize > 0, pageSize & (pageSize - 1) == 0 else { return nil }
        let mask = pageSize - 1
        let (last, overflow) = address.addingReportingOverflow(length - 1)
        guard !overflow else { return nil }
        let (end, endOverflow) = (last | mask).addingReportingOverflow(1)
        // A range ending exactly at the top of the address space wraps to 0: refuse it.
        guard !endOverflow else { return nil }
        self.start = address & ~mask
        self.end = end
    }

    /// A range from already aligned bounds; `start < end` is the caller's responsibility.
    @usableFromInline
    init(uncheckedStart start: UInt, end: UInt) {
        self.start = start
        self.end = end
    }

    /// Number of bytes in the range.
    @inlinable
    public var length: UInt { end - start }

    /// True when `other` lies entirely inside this range.
    @inlinable
    public func contains(_ other: PageRange) -> Bool { start <= other.start && other.end <= end }

    /// True when the two ranges share at least one byte.
    @inlinable
    public func overlaps(_ other: PageRange) -> Bool { start < other.end && other.start < end }

    /// True when the two ranges share a byte or one ends where the other begins.
    @inlinable
    public func overlapsOrTouches(_ other: PageRange) -> Bool { start <= other.end && other.start <= end }

    /// The smallest range containing both.
    @inlinable
    public func hull(_ other: PageRange) -> PageRange {
        PageRange(uncheckedStart: min(start, other.start), end: max(end, other.end))
    }

    public var description: String {
        "0x\(String(start, radix: 16))..<0x\(String(end, radix: 16))"
    }
}
