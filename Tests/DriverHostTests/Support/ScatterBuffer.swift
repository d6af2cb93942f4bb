import Foundation
import SeededRandom

/// Memory split into separately allocated segments, described by an iovec array.
final class ScatterBuffer {
    let segments: [UnsafeMutableRawBufferPointer]
    let iovecs: UnsafeMutableBufferPointer<iovec>

    /// Allocates one segment per length (zero-length segments get a valid 1-byte allocation).
    init(lengths: [Int]) {
        segments = lengths.map { UnsafeMutableRawBufferPointer.allocate(byteCount: max($0, 1), alignment: 8) }
        iovecs = .allocate(capacity: max(lengths.count, 1))
        for (index, length) in lengths.enumerated() {
            iovecs[index] = iovec(iov_base: segments[index].baseAddress, iov_len: length)
        }
    }

    /// One segment of `length` bytes.
    convenience init(length: Int) { self.init(lengths: [length]) }

    deinit {
        for segment in segments { segment.deallocate() }
        iovecs.deallocate()
    }

    /// The iovec array, with `count` entries (all by default).
    func iov(count: Int? = nil) -> UnsafeMutableBufferPointer<iovec> {
        UnsafeMutableBufferPointer(rebasing: iovecs[0..<(count ?? segments.count)])
    }

    /// Total length.
    var length: Int { (0..<segments.count).reduce(0) { $0 + iovecs[$1].iov_len } }

    /// Fills every byte from `generator`.
    func fillRandom<G: RandomNumberGenerator>(using generator: inout G) {
        for index in 0..<segments.count {
            let length = iovecs[index].iov_len
            for offset in 0..<length { segments[index][offset] = UInt8.random(in: 0...255, using: &generator) }
        }
    }

    /// Sets every byte to `value`.
    func fill(_ value: UInt8) {
        for index in 0..<segments.count where iovecs[index].iov_len > 0 {
            segments[index].initializeMemory(as: UInt8.self, repeating: value)
        }
    }

    /// The bytes, segments concatenated.
    var bytes: [UInt8] {
        var result: [UInt8] = []
        for index in 0..<segments.count {
            result += UnsafeRawBufferPointer(rebasing: segments[index][0..<iovecs[index].iov_len])
        }
        return result
    }
}

/// Random segmentations of a total length.
enum Layout {
    /// `total` split into 1...maxSegments segments at random cut points; zero-length segments
    /// occur when two cuts coincide.
    static func random<G: RandomNumberGenerator>(total: Int, maxSegments: Int, using generator: inout G) -> [Int] {
        let count = Int.random(in: 1...maxSegments, using: &generator)
        var cuts = (0..<(count - 1)).map { _ in Int.random(in: 0...total, using: &generator) }.sorted()
        cuts.insert(0, at: 0)
        cuts.append(total)
        return zip(cuts.dropFirst(), cuts).map { $0 - $1 }
    }
}

/// True when `a` holds the same bytes as `b`. A Bool, so that a failed expectation does not
/// print buffers.
func sameBytes(_ a: ScatterBuffer, _ b: ScatterBuffer) -> Bool {
    a.bytes == b.bytes
}
