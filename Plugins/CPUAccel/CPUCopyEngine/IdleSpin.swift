/// How long an idle worker polls the ring before it sleeps, adapted to how work arrives.
///
/// A worker that was woken soon after it fell asleep (work came less than ``maximum`` after it
/// became idle) would have found that work by polling a little longer: its next poll doubles
/// that idle time, up to ``maximum``. A longer idle period means the engine went quiet: the poll
/// returns to ``base``. A thread that submits one operation after the other's completion thus
/// finds the worker polling after the first few operations, and pays no futex wake-up per
/// operation; an idle engine still stops polling after ``base``.
struct IdleSpin {
    /// The poll of a quiet engine, in nanoseconds.
    let base: UInt64
    /// The longest poll, in nanoseconds.
    let maximum: UInt64
    /// The current poll, in nanoseconds.
    private(set) var nanoseconds: UInt64

    init(base: UInt64, maximum: UInt64) {
        self.base = base
        self.maximum = max(base, maximum)
        nanoseconds = base
    }

    /// Adapts the poll after a wait that ended asleep, `idleNanoseconds` after the worker
    /// became idle.
    mutating func record(idleNanoseconds: UInt64) {
        if idleNanoseconds < maximum {
            nanoseconds = min(maximum, max(nanoseconds, idleNanoseconds) &* 2)
        } else {
            nanoseconds = base
        }
    }
}
