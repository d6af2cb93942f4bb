import CDMAHostABI
@_spi(CABI) import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How both runners start one operation: which call (pull, push or memzero), and its iovec
/// lists, split into the run's number of entries.
enum BenchSubmit {
    /// True when operation `sequence` of a run with `readPercent` percent reads pulls: exactly
    /// `readPercent` of every 100 consecutive operations do, spread evenly (70: 7 of every 10).
    @inline(__always)
    static func isRead(sequence: Int, readPercent: Int) -> Bool {
        // All pushes or all pulls (every run but a mix) without the division.
        if readPercent <= 0 { return false }
        if readPercent >= 100 { return true }
        let step = sequence % 100
        return (step &+ 1) &* readPercent / 100 > step &* readPercent / 100
    }

    /// The bases of operation `sequence`'s lists: the working set's source and destination slots,
    /// except that with a remote domain (`remote`, the operation's slot in it) the domain's side
    /// is the remote slot: a pull's source, a push's or memzero's destination.
    @inline(__always)
    static func bases(source: UnsafeMutableRawPointer?, destination: UnsafeMutableRawPointer, remote: UnsafeMutableRawPointer?,
                      operation: BenchOperation, readPercent: Int, sequence: Int) -> (UnsafeMutableRawPointer?, UnsafeMutableRawPointer) {
        guard let remote else { return (source, destination) }
        if operation == .fill { return (nil, remote) }
        return isRead(sequence: sequence, readPercent: readPercent) ? (remote, destination) : (source, remote)
    }

    /// Describes `size` bytes at `base` as `count` entries of (nearly) equal length in `list`.
    @inline(__always)
    static func describe(_ list: UnsafeMutablePointer<iovec>, base: UnsafeMutableRawPointer, size: Int, count: Int) {
        if count == 1 {
            // A slot that copies the same buffer again keeps its entry: no store for the
            // submission's atomic operation to wait for.
            if list.pointee.iov_base != base || list.pointee.iov_len != size { list.pointee = iovec(iov_base: base, iov_len: size) }
            return
        }
        var start = 0
        for entry in 0..<count {
            let end = (entry &+ 1) &* size / count
            list[entry] = iovec(iov_base: base + start, iov_len: end &- start)
            start = end
        }
    }

    /// Starts operation `sequence` through the exported C entry points.
    /// - Parameters:
    ///   - source: The source list (the domain's buffer for a pull, system memory for a push);
    ///     unused for fill.
    ///   - destination: The destination list.
    ///   - count: Entries in each list.
    /// - Returns: The submitting call's status.
    @inline(__always)
    static func start(_ target: (domain: OpaquePointer, operation: BenchOperation, readPercent: Int), sequence: Int,
                      source: UnsafeMutablePointer<iovec>, destination: UnsafeMutablePointer<iovec>, count: Int,
                      argument: UnsafeMutableRawPointer) -> Int32 {
        let entries = UInt32(truncatingIfNeeded: count)
        if target.operation == .fill {
            return spdk_memory_domain_memzero_export(target.domain, nil, destination, entries, CompletionSlot.callback, argument)
        }
        if isRead(sequence: sequence, readPercent: target.readPercent) {
            // The source slot plays the domain's buffer; it is read into system memory.
            return spdk_memory_domain_pull_data_export(target.domain, nil, source, entries, destination, entries,
                                                       CompletionSlot.callback, argument)
        }
        return spdk_memory_domain_push_data_export(target.domain, nil, destination, entries, source, entries,
                                                   CompletionSlot.callback, argument)
    }
}
