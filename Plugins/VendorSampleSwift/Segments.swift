#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Scatter-gather helpers over `iovec` arrays.
enum Segments {
    /// Copies the bytes of `source` into `destination`, walking both segmentations at once.
    /// Both hold the same number of bytes (checked at submission, `IOVecContract`).
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
