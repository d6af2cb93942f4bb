/// Deterministic pseudo-random numbers (SplitMix64), so that a random layout or pattern can be
/// reproduced from its seed: `dmactl copy --seed` and the tests use it.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Fills `bytes` with the next random bits, eight bytes per step (the last step may use
    /// only part of its bits).
    public mutating func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= bytes.count {
            bytes.storeBytes(of: next().littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        var word = next()
        while offset < bytes.count {
            bytes[offset] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            offset += 1
        }
    }
}
