#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Byte counts that split `total` bytes into consecutive pieces, as an input chooses them:
/// up to `maximumCount` pieces, some of 0 bytes, the last one taking what is left.
func cuts(of total: Int, maximumCount: Int, _ input: inout FuzzInput) -> [Int] {
    var lengths: [Int] = []
    var left = total
    let count = input.int(in: 1...maximumCount)
    for index in 0..<count {
        if index == count - 1 {
            lengths.append(left)
        } else if input.byte() % 5 == 0 {
            lengths.append(0)
        } else {
            let length = min(left, input.int(in: 0...4096) * (input.bool() ? 1 : 16))
            lengths.append(length)
            left -= length
        }
    }
    return lengths
}

/// Pseudo-random bytes to copy from: 1 MiB, with no period a split or a block size divides.
// nonisolated(unsafe): written once by the global's initialiser, only read afterwards.
nonisolated(unsafe) let patternBytes: UnsafeRawBufferPointer = {
    let count = 1 << 20
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for index in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
    }
    return UnsafeRawBufferPointer(bytes)
}()

/// `count` bytes of the pattern, starting at a place `seed` picks (at most 768 KiB bytes).
func pattern(seed: UInt8, count: Int) -> UnsafeRawBufferPointer {
    precondition(count <= 768 << 10, "pattern of \(count) bytes")
    return UnsafeRawBufferPointer(rebasing: patternBytes[(Int(seed) * 1021)..<(Int(seed) * 1021 + count)])
}

/// One separate heap block per piece, so that AddressSanitizer reports any access past a
/// piece's end. Pieces of 0 bytes get a base that faults when used (NULL, or an odd address
/// in the first page). Freed by ``free()``.
struct Blocks {
    /// The bases, in order.
    private(set) var bases: [UnsafeMutableRawPointer?] = []
    /// The lengths, in order.
    let lengths: [Int]

    /// Allocates blocks of `lengths` and copies `contents` (the blocks' bytes in order) into them.
    init(lengths: [Int], emptyBaseSeed: UInt8, contents: UnsafeRawBufferPointer) {
        self.lengths = lengths
        var offset = 0
        for (index, length) in lengths.enumerated() {
            guard length > 0 else {
                let choice = (Int(emptyBaseSeed) + index) % 1000
                bases.append(UnsafeMutableRawPointer(bitPattern: choice % 3 == 0 ? 0 : 1 + 2 * choice))
                continue
            }
            let block = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 1)
            block.copyMemory(from: contents.baseAddress! + offset, byteCount: length)
            bases.append(block)
            offset += length
        }
    }

    /// The blocks as iovec entries.
    var iovecs: [iovec] { zip(bases, lengths).map { iovec(iov_base: $0, iov_len: $1) } }

    /// Offset of the first byte, in block order, that differs from `expected`; nil when all
    /// bytes equal it (`expected` holds the total of the lengths).
    func firstDifference(from expected: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        for (base, length) in zip(bases, lengths) where length > 0 {
            guard let base else { return offset }
            if memcmp(base, expected.baseAddress! + offset, length) != 0 {
                let block = UnsafeRawBufferPointer(start: base, count: length)
                return offset + (0..<length).first { block[$0] != expected[offset + $0] }!
            }
            offset += length
        }
        return nil
    }

    /// Frees the blocks.
    func free() {
        for (base, length) in zip(bases, lengths) where length > 0 { base?.deallocate() }
    }
}
