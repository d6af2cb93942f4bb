/// One point of a sweep: a size and a queue depth.
public struct SweepPoint: Sendable, Equatable {
    /// Bytes per operation.
    public var size: Int
    /// Operations in flight.
    public var queueDepth: Int

    /// Creates a point.
    public init(size: Int, queueDepth: Int) {
        self.size = size
        self.queueDepth = queueDepth
    }
}

/// The points of a `dmactl bench` run and the time they are planned to take: every point gets
/// `secondsPerPoint` of wall time (a ``PointBudget``), so the run takes
/// ``totalSeconds``, stated before it starts.
public struct SweepPlan: Sendable, Equatable {
    /// The points in the order they run: each size, with every queue depth.
    public let points: [SweepPoint]
    /// Wall time of one point, baseline included.
    public let secondsPerPoint: Double

    /// Plans every size with every queue depth (sizes outer, queue depths inner).
    public init(sizes: [Int], queueDepths: [Int], secondsPerPoint: Double) {
        points = sizes.flatMap { size in queueDepths.map { SweepPoint(size: size, queueDepth: $0) } }
        self.secondsPerPoint = secondsPerPoint
    }

    /// Planned wall time of the whole run.
    public var totalSeconds: Double { Double(points.count) * secondsPerPoint }

    /// Where the run stands when point `index` (from 0) has run for `elapsedInPoint` seconds.
    public func progress(point index: Int, elapsedInPoint: Double) -> SweepProgress {
        let withinPoint = min(max(elapsedInPoint, 0), secondsPerPoint)
        let elapsed = Double(min(max(index, 0), points.count)) * secondsPerPoint + withinPoint
        return SweepProgress(point: index, points: points.count, elapsed: elapsed, total: totalSeconds)
    }

    /// The plan in one line, e.g. "17 points x 2.00 s = 34.0 s (each: …)".
    public func summary(budget: PointBudget, baselineName: String) -> String {
        "\(points.count) point\(points.count == 1 ? "" : "s") x \(Format.fixed(secondsPerPoint, 2)) s = "
            + "\(Format.fixed(totalSeconds, 1)) s planned (each: \(budget.summary(baselineName: baselineName)))"
    }
}

/// How far a sweep has come.
public struct SweepProgress: Sendable, Equatable {
    /// The point running (from 0).
    public var point: Int
    /// Points in the plan.
    public var points: Int
    /// Planned seconds behind us.
    public var elapsed: Double
    /// Planned seconds of the whole run.
    public var total: Double

    /// Planned seconds still to go.
    public var remaining: Double { max(0, total - elapsed) }
    /// 0 ... 1.
    public var fraction: Double { total > 0 ? min(1, elapsed / total) : 1 }

    /// E.g. "point 3/17  12.4/34.0 s (36%)".
    public var line: String {
        "point \(min(point + 1, points))/\(points)  \(Format.fixed(elapsed, 1))/\(Format.fixed(total, 1)) s "
            + "(\(Format.fixed(fraction * 100, 0))%)"
    }
}
