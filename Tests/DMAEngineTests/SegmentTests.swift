import DMADriverKit
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// Independent segmentation of source and destination: the pairing walk and the CPU copy, on
/// plain memory, against a straightforward reference.
@Suite struct SegmentTests {
    /// Cuts `total` bytes starting at `base` into random pieces.
    static func cut(_ base: UnsafeMutableRawPointer, total: Int, using generator: inout some RandomNumberGenerator) -> [Piece] {
        var pieces: [Piece] = []
        var offset = 0
        while offset < total {
            let length = Int.random(in: 1...max(1, min(total - offset, 97)), using: &generator)
            pieces.append(Piece(address: UInt(bitPattern: base + offset), length: length))
            offset += length
        }
        return pieces
    }

    @Test(arguments: 0..<40)
    func randomLayoutsCopyByteExact(seed: Int) {
        var generator = SystemRandomNumberGenerator()
        let total = Int.random(in: 1...4096, using: &generator)
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 1)
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: total + 64, alignment: 1)
        defer { source.deallocate(); destination.deallocate() }
        for index in 0..<total { source[index] = UInt8.random(in: 0...255, using: &generator) }
        for index in 0..<destination.count { destination[index] = 0xEE }
        let sourcePieces = Self.cut(source.baseAddress!, total: total, using: &generator)
        let destinationPieces = Self.cut(destination.baseAddress!, total: total + 64, using: &generator)
        CPUCopy.copy(from: sourcePieces, to: destinationPieces, bytes: total)
        #expect(Array(destination.prefix(total)) == Array(source), "seed \(seed): \(sourcePieces.count) source pieces, \(destinationPieces.count) destination pieces")
        #expect(destination.suffix(64).allSatisfy { $0 == 0xEE }, "bytes past the source total are untouched")
    }

    @Test func pairsAreMaximalAndBounded() {
        let source = [Piece(address: 100, length: 5), Piece(address: 200, length: 7)]
        let destination = [Piece(address: 1000, length: 3), Piece(address: 2000, length: 20)]
        let runs = Array(SegmentPairs(source: source, destination: destination, bytes: 12))
        #expect(runs == [.init(source: 100, destination: 1000, length: 3), .init(source: 103, destination: 2000, length: 2),
                         .init(source: 200, destination: 2002, length: 7)])
        let bounded = Array(SegmentPairs(source: source, destination: destination, bytes: 12, maxRun: 2))
        #expect(bounded.allSatisfy { $0.length <= 2 } && bounded.reduce(0) { $0 + $1.length } == 12)
        #expect(Array(SegmentPairs(source: source, destination: destination, bytes: 4)).reduce(0) { $0 + $1.length } == 4)
    }

    /// The unchecked list (invalidate's) refuses what the contract of dmahost/iovec.h refuses, with its errnos.
    @Test func iovecListsAreCheckedAndZeroLengthEntriesDropped() throws {
        var storage = [UInt8](repeating: 0, count: 16)
        try storage.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            var iovs = [iovec(iov_base: base, iov_len: 4), iovec(iov_base: nil, iov_len: 0), iovec(iov_base: base + 8, iov_len: 8)]
            let pieces = try Piece.list(&iovs, count: 3, role: "test")
            #expect(pieces.map(\.length) == [4, 8])
            #expect(iovs.withUnsafeBufferPointer { Piece.list($0) } == pieces)
            func errno(_ entries: [iovec]) -> Int32? {
                var entries = entries
                do throws(DMAError) {
                    _ = try Piece.list(&entries, count: UInt32(entries.count), role: "test")
                    return nil
                } catch {
                    return error.errno
                }
            }
            #expect(errno([iovec(iov_base: nil, iov_len: 4)]) == EFAULT)
            #expect(errno([iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt.max - 2), iov_len: 8)]) == EFAULT)
            #expect(errno([iovec(iov_base: base, iov_len: -1)]) == EINVAL)
        }
        #expect(throws: DMAError.self) { try Piece.list(nil, count: 2, role: "test") }
        #expect(try Piece.list(nil, count: 0, role: "test").isEmpty)
    }

    @Test func zeroFillsEveryPiece() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        for index in 0..<64 { buffer[index] = 0xFF }
        let base = UInt(bitPattern: buffer.baseAddress!)
        CPUCopy.zero([Piece(address: base + 2, length: 10), Piece(address: base + 40, length: 4)])
        #expect(buffer[0] == 0xFF && buffer[1] == 0xFF && buffer[2..<12].allSatisfy { $0 == 0 } && buffer[12] == 0xFF)
        #expect(buffer[40..<44].allSatisfy { $0 == 0 } && buffer[39] == 0xFF && buffer[44] == 0xFF)
    }
}
