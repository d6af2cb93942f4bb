#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Scatter-gather helpers over `iovec` arrays.
enum Segments {
    /// Total length of `count` segments, or nil for a NULL array with entries, a NULL base
    /// with a length, or a sum that overflows.
    static func total(_ segments: UnsafeMutablePointer<iovec>?, _ count: UInt32) -> Int? {
        guard count > 0 else { return 0 }
        guard let segments else { return nil }
        var sum = 0
        for index in 0..<Int(count) {
            let segment = segments[index]
            if segment.iov_base == nil && segment.iov_len > 0 { return nil }
            let (next, overflow) = sum.addingReportingOverflow(segment.iov_len)
            guard !overflow else { return nil }
            sum = next
        }
        return sum
    }

    /// Copies the bytes of `source` into `destination`, walking both segmentations at once.
    /// The destination is at least as long as the source (checked at submission).
    /// `memmove`: a caller may pass overlapping segments.
    static func copy(from source: [iovec], to destination: [iovec]) {
        var sourceIndex = 0, destinationIndex = 0
        var sourceOffset = 0, destinationOffset = 0
        while sourceIndex < source.count && destinationIndex < destination.count {
            let sourceLeft = source[sourceIndex].iov_len - sourceOffset
            let destinationLeft = destination[destinationIndex].iov_len - destinationOffset
            if sourceLeft == 0 {
                sourceIndex += 1
                sourceOffset = 0
                continue
            }
            if destinationLeft == 0 {
                destinationIndex += 1
                destinationOffset = 0
                continue
            }
            let length = min(sourceLeft, destinationLeft)
            if let to = destination[destinationIndex].iov_base, let from = source[sourceIndex].iov_base {
                memmove(to + destinationOffset, from + sourceOffset, length)
            }
            sourceOffset += length
            destinationOffset += length
        }
    }
}
