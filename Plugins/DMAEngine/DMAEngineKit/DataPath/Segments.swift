import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One contiguous piece of memory, as an address (so lists of them are `Sendable` and can be
/// handed to a worker thread) and a length.
struct Piece: Sendable, Hashable {
    /// Start address.
    var address: UInt
    /// Length in bytes (never 0 in a list built by ``Piece/list(_:)`` or ``Piece/list(_:count:role:)``).
    var length: Int

    /// The start as a pointer.
    var pointer: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: address) }

    /// The pieces of iovec entries that passed the contract of `dmahost/iovec.h` (the lists of a
    /// ``CheckedCopy`` or ``CheckedFill``), dropping zero-length entries.
    static func list(_ entries: UnsafeBufferPointer<iovec>) -> [Piece] {
        var pieces: [Piece] = []
        pieces.reserveCapacity(entries.count)
        for entry in entries where entry.iov_len > 0 {
            pieces.append(Piece(address: UInt(bitPattern: entry.iov_base), length: entry.iov_len))
        }
        return pieces
    }

    /// Copies an unchecked iovec array into pieces, dropping zero-length entries (invalidate,
    /// which the contract of `dmahost/iovec.h` does not cover, uses it with the same errnos).
    /// - Throws: ``DMAError/invalidArgument(_:)`` for a NULL array with entries or an entry longer
    ///   than SSIZE_MAX; EFAULT for a NULL base with a non-zero length, or a range that wraps
    ///   around the address space.
    static func list(_ iov: UnsafePointer<iovec>?, count: UInt32, role: String) throws(DMAError) -> [Piece] {
        guard count > 0 else { return [] }
        guard let iov else { throw .invalidArgument("\(role): iovec array is NULL but its count is \(count)") }
        var pieces: [Piece] = []
        pieces.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let entry = iov[index]
            guard entry.iov_len != 0 else { continue }
            guard entry.iov_len > 0 else { throw .invalidArgument("\(role): iovec \(index) is longer than SSIZE_MAX") }
            guard let base = entry.iov_base else {
                throw .system(errno: EFAULT, "\(role): iovec \(index) has a NULL base and length \(entry.iov_len)")
            }
            let address = UInt(bitPattern: base)
            guard address.addingReportingOverflow(UInt(entry.iov_len)).overflow == false else {
                throw .system(errno: EFAULT, "\(role): iovec \(index) (\(base), \(entry.iov_len) bytes) wraps around the address space")
            }
            pieces.append(Piece(address: address, length: entry.iov_len))
        }
        return pieces
    }

    /// The pieces as a C iovec array (caller deallocates).
    static func iovecs(_ pieces: [Piece]) -> UnsafeMutableBufferPointer<iovec> {
        let array = UnsafeMutableBufferPointer<iovec>.allocate(capacity: max(pieces.count, 1))
        for (index, piece) in pieces.enumerated() {
            array[index] = iovec(iov_base: piece.pointer, iov_len: piece.length)
        }
        return UnsafeMutableBufferPointer(rebasing: array[0..<pieces.count])
    }
}

/// Walks two independently segmented lists in step: the copy of `bytes` bytes from `source` to
/// `destination` is split into the largest runs that are contiguous on both sides (and at most
/// `maxRun` bytes, for engines with a transfer size limit).
struct SegmentPairs: Sequence {
    /// One run: copy `length` bytes from `source` to `destination`.
    struct Run: Hashable {
        var source: UInt
        var destination: UInt
        var length: Int
    }

    let source: [Piece]
    let destination: [Piece]
    let bytes: Int
    let maxRun: Int

    init(source: [Piece], destination: [Piece], bytes: Int, maxRun: Int = .max) {
        self.source = source
        self.destination = destination
        self.bytes = bytes
        self.maxRun = Swift.max(1, maxRun)
    }

    struct Iterator: IteratorProtocol {
        let pairs: SegmentPairs
        var sourceIndex = 0, sourceOffset = 0
        var destinationIndex = 0, destinationOffset = 0
        var remaining: Int

        mutating func next() -> Run? {
            guard remaining > 0, sourceIndex < pairs.source.count, destinationIndex < pairs.destination.count else { return nil }
            let s = pairs.source[sourceIndex], d = pairs.destination[destinationIndex]
            let length = Swift.min(s.length - sourceOffset, d.length - destinationOffset, remaining, pairs.maxRun)
            let run = Run(source: s.address + UInt(sourceOffset), destination: d.address + UInt(destinationOffset), length: length)
            remaining -= length
            sourceOffset += length
            destinationOffset += length
            if sourceOffset == s.length { sourceIndex += 1; sourceOffset = 0 }
            if destinationOffset == d.length { destinationIndex += 1; destinationOffset = 0 }
            return run
        }
    }

    func makeIterator() -> Iterator { Iterator(pairs: self, remaining: bytes) }
}

/// CPU data movement over piece lists.
enum CPUCopy {
    /// Copies the first `bytes` bytes described by `source` into `destination` (memmove per run).
    static func copy(from source: [Piece], to destination: [Piece], bytes: Int) {
        for run in SegmentPairs(source: source, destination: destination, bytes: bytes) {
            guard let to = UnsafeMutableRawPointer(bitPattern: run.destination), let from = UnsafeRawPointer(bitPattern: run.source) else { continue }
            memmove(to, from, run.length)
        }
    }

    /// Fills every piece with zero bytes.
    static func zero(_ pieces: [Piece]) {
        for piece in pieces {
            guard let pointer = piece.pointer else { continue }
            memset(pointer, 0, piece.length)
        }
    }
}
