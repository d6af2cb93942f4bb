import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The device's data path: moves bytes between host-memory scatter-gather lists, synchronously.
/// Replace it with what drives your hardware.
final class CopyUnit: Sendable {
    /// Copies the source entries of `copy` into its destination entries. Both hold `copy.length`
    /// bytes (checked); their segmentations may differ, and entries of length 0 are skipped.
    func move(_ copy: CheckedCopy) {
        var sources = copy.sourceEntries.makeIterator()
        var source = sources.next()
        var consumed = 0
        for destination in copy.destinationEntries {
            var filled = 0
            while filled < destination.iov_len, let current = source {
                let length = min(destination.iov_len - filled, current.iov_len - consumed)
                if length > 0, let to = destination.iov_base, let from = current.iov_base {
                    memmove(to + filled, from + consumed, length)
                }
                filled += length
                consumed += length
                if consumed == current.iov_len {
                    source = sources.next()
                    consumed = 0
                }
            }
        }
    }

    /// Zeroes every entry of `fill`.
    func zero(_ fill: CheckedFill) {
        for entry in fill.entries where entry.iov_len > 0 {
            memset(entry.iov_base, 0, entry.iov_len)
        }
    }
}
