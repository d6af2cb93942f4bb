import SeededRandom

/// Deterministic pseudo-random numbers for reproducible tests.
typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
    /// A number in `0 ..< bound`.
    mutating func next(upTo bound: UInt64) -> UInt64 { next() % bound }
    /// A number in `0 ..< bound`.
    mutating func next(upToWord bound: UInt) -> UInt { UInt(next() % UInt64(bound)) }
}
