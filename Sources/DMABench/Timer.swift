import DMASync

/// The clock the benchmark reads (`CLOCK_MONOTONIC`) and what one read costs. On some
/// virtual machines a read takes hundreds of nanoseconds (the TSC is trapped), so the
/// benchmark reads it rarely: every few hundred microseconds for the deadline, and for a
/// sample of the operations for latency.
public enum BenchTimer {
    /// Median time between two back-to-back clock reads, in nanoseconds: what a timestamp
    /// pair adds to a measured latency.
    public static func readCost(rounds: Int = 2001) -> UInt64 {
        var deltas: [UInt64] = []
        deltas.reserveCapacity(rounds)
        for _ in 0..<rounds {
            let first = monotonicNanoseconds()
            let second = monotonicNanoseconds()
            deltas.append(second &- first)
        }
        return Percentiles(deltas).value(at: 0.5) ?? 0
    }
}
