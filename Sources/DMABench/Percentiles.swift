/// Nearest-rank percentiles of latency samples.
public struct Percentiles: Sendable, Equatable {
    /// The sorted samples.
    public let sorted: [UInt64]

    /// Sorts `samples`.
    public init(_ samples: [UInt64]) { sorted = samples.sorted() }

    /// The smallest sample that at least `fraction` (0...1) of the samples do not exceed
    /// (nearest rank); nil when there are no samples.
    public func value(at fraction: Double) -> UInt64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
