import SeededRandom

/// The kinds of data operation `dmactl stress` submits.
enum StressKind: String, CaseIterable, Sendable {
    /// System memory into the device's domain (`spdk_memory_domain_push_data`).
    case push
    /// The device's domain into system memory (`spdk_memory_domain_pull_data`).
    case pull
    /// Zeroes in the device's domain (`spdk_memory_domain_memzero`).
    case memzero
    /// Another domain (the system domain, the same device's or another device's) into the
    /// device's domain (`spdk_memory_domain_transfer_data`).
    case transfer
}

/// The random shape of one operation: how many bytes, how each side is cut into segments and
/// where the bytes sit in their allocations (behind guard bytes, often at an unaligned address).
struct StressShape: Sendable, CustomStringConvertible {
    /// Guard bytes before and after the described bytes of every buffer.
    static let guardBytes = 64

    /// Bytes moved (or zeroed).
    var size: Int
    /// Segment lengths of the source (sum `size`; unused by memzero).
    var sourceLengths: [Int]
    /// Segment lengths of the destination (sum `size`).
    var destinationLengths: [Int]
    /// Bytes before the described bytes in the source and destination allocations: the guard
    /// bytes plus an offset that makes the first segment's base unaligned.
    var sourceLead: Int
    var destinationLead: Int

    /// A random shape.
    /// - Parameters:
    ///   - maxSize: The largest size; sizes are biased toward tiny ones, page multiples ±1 and
    ///     odd ones, the rest log-uniform.
    ///   - maxSegments: The most segments per side.
    ///   - alignment: The device's alignment: sizes, cuts and offsets are multiples of it.
    static func random<G: RandomNumberGenerator>(maxSize: Int, maxSegments: Int, alignment: Int, using generator: inout G) -> StressShape {
        let unit = max(alignment, 1)
        var size = randomSize(maxSize: maxSize, using: &generator)
        size = max(unit, size / unit * unit)
        let segments = { (g: inout G) in SegmentedBuffer.layout(length: size, count: Int.random(in: 1...max(maxSegments, 1), using: &g),
                                                                 alignment: unit, using: &g) }
        let lead = { (g: inout G) in
            (guardBytes + unit - 1) / unit * unit + (unit == 1 ? Int.random(in: 0..<64, using: &g) : 0)
        }
        return StressShape(size: size, sourceLengths: segments(&generator), destinationLengths: segments(&generator),
                           sourceLead: lead(&generator), destinationLead: lead(&generator))
    }

    /// 1...maxSize: a fifth tiny (1...64), a fifth next to a page boundary (a multiple of 4096,
    /// or one byte more or less), a fifth odd below 64 KiB, the rest log-uniform.
    static func randomSize<G: RandomNumberGenerator>(maxSize: Int, using generator: inout G) -> Int {
        let bound = max(maxSize, 1)
        let size: Int
        switch Int.random(in: 0..<5, using: &generator) {
        case 0:
            size = Int.random(in: 1...64, using: &generator)
        case 1:
            size = Int.random(in: 1...max(bound / 4096, 1), using: &generator) * 4096 + Int.random(in: -1...1, using: &generator)
        case 2:
            size = Int.random(in: 1...min(bound, 65_536), using: &generator) | 1
        default:
            let bits = Int.bitWidth - bound.leadingZeroBitCount
            let high = 1 << Int.random(in: 0..<bits, using: &generator)
            size = high + Int.random(in: 0..<high, using: &generator)
        }
        return min(max(size, 1), bound)
    }

    /// "4097 bytes, 3 → 2 segments".
    var description: String { "\(size) bytes, \(sourceLengths.count) → \(destinationLengths.count) segments" }
}
