import CCPUEngineSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Scatter-gather arithmetic and the data path: `memcpy`/`memset` over two independently
/// segmented `iovec` lists, which passed the contract of `dmahost/iovec.h` at submission.
/// Zero-length entries are allowed anywhere and skipped.
enum ScatterGather {
    /// The position `distance` bytes after `start`. Lands at the end of an entry rather than
    /// the start of the next, which the data path skips over anyway.
    static func advance(_ list: UnsafePointer<iovec>, count: Int, from start: SGPosition, by distance: Int) -> SGPosition {
        var position = start
        var left = distance
        while left > 0 && position.index < count {
            let available = list[position.index].iov_len - position.offset
            if left < available {
                position.offset += left
                return position
            }
            left -= available
            position.index += 1
            position.offset = 0
        }
        return position
    }

    /// Copies `length` bytes from `source` (from `sourceStart`) to `destination` (from
    /// `destinationStart`), one `memcpy` per overlap of a source and a destination entry, or,
    /// with a `streamingKernel` other than 0, one `dmahost_copy_nontemporal` (which ends with
    /// `sfence`: the bytes are visible before the completion is published).
    /// - Returns: 0, or -EINVAL when a list ends early (it was changed after submission).
    @inline(__always)
    static func copy(_ descriptor: Descriptor, streamingKernel: Int32 = 0) -> Int32 {
        var left = descriptor.length
        guard left > 0 else { return 0 }
        guard let source = descriptor.source, let destination = descriptor.destination else {
            preconditionFailure("a copy descriptor holds the lists of its checked operation")
        }
        if descriptor.sourceCount == 1 && descriptor.destinationCount == 1 {
            // One entry a side (most operations): one memcpy, after the same checks.
            let sourceEntry = source.pointee
            let destinationEntry = destination.pointee
            guard left <= sourceEntry.iov_len &- descriptor.sourceOffset, left <= destinationEntry.iov_len &- descriptor.destinationOffset,
                  let sourceBase = sourceEntry.iov_base, let destinationBase = destinationEntry.iov_base else { return -EINVAL }
            move(destinationBase + descriptor.destinationOffset, sourceBase + descriptor.sourceOffset, left, streamingKernel)
            return 0
        }
        var sourceIndex = Int(descriptor.sourceIndex)
        var sourceOffset = descriptor.sourceOffset
        var destinationIndex = Int(descriptor.destinationIndex)
        var destinationOffset = descriptor.destinationOffset
        let sourceCount = Int(descriptor.sourceCount)
        let destinationCount = Int(descriptor.destinationCount)
        while left > 0 {
            guard sourceIndex < sourceCount, destinationIndex < destinationCount else { return -EINVAL }
            let sourceEntry = source[sourceIndex]
            let destinationEntry = destination[destinationIndex]
            let sourceAvailable = sourceEntry.iov_len &- sourceOffset
            if sourceAvailable <= 0 {
                sourceIndex &+= 1
                sourceOffset = 0
                continue
            }
            let destinationAvailable = destinationEntry.iov_len &- destinationOffset
            if destinationAvailable <= 0 {
                destinationIndex &+= 1
                destinationOffset = 0
                continue
            }
            guard let sourceBase = sourceEntry.iov_base, let destinationBase = destinationEntry.iov_base else { return -EINVAL }
            let chunk = min(left, sourceAvailable, destinationAvailable)
            move(destinationBase + destinationOffset, sourceBase + sourceOffset, chunk, streamingKernel)
            left &-= chunk
            sourceOffset &+= chunk
            destinationOffset &+= chunk
        }
        return 0
    }

    /// One piece of a copy: through the caches (`dmahost_copy_cached`: `rep movsb` where the CPU
    /// makes it fast, else `memcpy`), or the non-temporal kernel `streamingKernel` (not 0).
    @inline(__always)
    private static func move(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int, _ streamingKernel: Int32) {
        if streamingKernel != 0 {
            dmahost_copy_nontemporal(streamingKernel, destination, source, count)
        } else {
            dmahost_copy_cached(destination, source, count)
        }
    }

    /// Fills `length` bytes of `destination` (from `destinationStart`) with `pattern`, one
    /// `memset` per entry, or with a `streamingKernel` other than 0 one
    /// `dmahost_fill_nontemporal` (ending with `sfence`).
    /// - Returns: 0, or -EINVAL when the list ends early (it was changed after submission).
    @inline(__always)
    static func fill(_ descriptor: Descriptor, streamingKernel: Int32 = 0) -> Int32 {
        var left = descriptor.length
        guard left > 0 else { return 0 }
        guard let destination = descriptor.destination else {
            preconditionFailure("a fill descriptor holds the list of its checked operation")
        }
        var index = Int(descriptor.destinationIndex)
        var offset = descriptor.destinationOffset
        let count = Int(descriptor.destinationCount)
        let value = Int32(descriptor.pattern)
        while left > 0 {
            guard index < count else { return -EINVAL }
            let entry = destination[index]
            let available = entry.iov_len &- offset
            if available <= 0 {
                index &+= 1
                offset = 0
                continue
            }
            guard let base = entry.iov_base else { return -EINVAL }
            let chunk = min(left, available)
            if streamingKernel != 0 {
                dmahost_fill_nontemporal(streamingKernel, base + offset, descriptor.pattern, chunk)
            } else {
                memset(base + offset, value, chunk)
            }
            left &-= chunk
            offset &+= chunk
        }
        return 0
    }
}
