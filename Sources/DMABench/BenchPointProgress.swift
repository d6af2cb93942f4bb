/// The phases of one benchmark point, in the order they run (``PointBudget``).
public enum BenchPhase: String, Sendable {
    /// The raw memcpy/memset loop (before and after the device).
    case baseline
    /// The device, unmeasured.
    case warmingUp = "warming up"
    /// The device, measured.
    case measuring
    /// The raw loop on several threads at once.
    case ceiling
}

/// Where one benchmark point stands: reported at each phase and about every 0.5 s within one.
public struct BenchPointProgress: Sendable, Equatable {
    /// The phase running.
    public var phase: BenchPhase
    /// Seconds since the point started.
    public var elapsed: Double
    /// The point's planned wall time.
    public var total: Double
    /// The device's recent rate (device phases only).
    public var gigabytesPerSecond: Double?

    /// Creates a report.
    public init(phase: BenchPhase, elapsed: Double, total: Double, gigabytesPerSecond: Double? = nil) {
        self.phase = phase
        self.elapsed = elapsed
        self.total = total
        self.gigabytesPerSecond = gigabytesPerSecond
    }

    /// E.g. "measuring 1.2/2.0 s  3.41 GB/s" or "baseline 0.3/2.0 s".
    public var line: String {
        "\(phase.rawValue) \(Format.fixed(elapsed, 1))/\(Format.fixed(total, 1)) s"
            + (gigabytesPerSecond.map { "  \(Format.fixed($0, 2)) GB/s" } ?? "")
    }
}
