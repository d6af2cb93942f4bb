/// How one benchmark point spends its time: `--seconds` is the wall time of a whole point,
/// shared out between its phases in fixed proportions, so that a point (and a sweep of
/// points) takes as long as asked.
///
/// | Phase | Share |
/// | --- | --- |
/// | warm the baseline's pages and caches | 5% |
/// | baseline, first half (memcpy/memset, one thread) | 12.5% (17.5% without a ceiling) |
/// | device warm-up (unmeasured) | 10% |
/// | device, measured | 50% |
/// | baseline, second half | 12.5% (17.5% without a ceiling) |
/// | ceiling (the same loop on as many threads as the device has workers, each on a working set of its own) | 10% (none for one worker) |
///
/// ``Benchmark`` shares out what is left of `--seconds` once the working set is mapped and
/// touched (at least half of it). Outside the budget: the wait for the operations still in
/// flight when the measured window closes, and unmapping the working set (both short).
public struct PointBudget: Sendable, Equatable {
    /// Wall time of the point, all phases included.
    public let total: Double
    /// Warming the baseline's buffers (unmeasured).
    public let baselineWarmup: Double
    /// The baseline, both halves together.
    public let baseline: Double
    /// The device's unmeasured warm-up.
    public let deviceWarmup: Double
    /// The device's measured window.
    public let device: Double
    /// The multi-thread ceiling; 0 when there is none.
    public let ceiling: Double

    /// Shares out `seconds` between the phases.
    /// - Parameters:
    ///   - seconds: Wall time of the point.
    ///   - ceiling: True when the point also runs the multi-thread ceiling.
    public init(seconds: Double, ceiling: Bool) {
        total = seconds
        baselineWarmup = seconds * 0.05
        deviceWarmup = seconds * 0.10
        device = seconds * 0.50
        self.ceiling = ceiling ? seconds * 0.10 : 0
        baseline = seconds - baselineWarmup - deviceWarmup - device - self.ceiling
    }

    /// Seconds from the start of the point to the start of the device's warm-up.
    public var deviceStart: Double { baselineWarmup + baseline / 2 }
    /// Seconds from the start of the point to the end of the device's measured window.
    public var deviceEnd: Double { deviceStart + deviceWarmup + device }
    /// Seconds from the start of the point to the start of the ceiling.
    public var ceilingStart: Double { deviceEnd + baseline / 2 }

    /// One line, e.g. "0.10 s warm-up, 1.00 s device, 0.50 s memcpy baseline, 0.20 s ceiling".
    public func summary(baselineName: String) -> String {
        var parts = ["\(Format.fixed(baselineWarmup + deviceWarmup, 2)) s warm-up", "\(Format.fixed(device, 2)) s device",
                     "\(Format.fixed(baseline, 2)) s \(baselineName) baseline"]
        if ceiling > 0 { parts.append("\(Format.fixed(ceiling, 2)) s ceiling") }
        return parts.joined(separator: ", ")
    }
}
