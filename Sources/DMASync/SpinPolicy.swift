import CDMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How long a thread busy-polls for a condition before it sleeps on an ``EventCount``.
///
/// Busy-polling keeps the latency of a hand-off between threads in the hundreds of
/// nanoseconds; sleeping costs a futex wake-up (microseconds) but frees the core. Keep the spin
/// short: when there are more runnable threads than cores, a spinning thread delays the one it
/// waits for by up to its whole spin. `sched_yield()` is no cure on a shared machine: under the
/// Linux fair scheduler a yield can hand the CPU to another process for a whole time slice
/// (milliseconds), while a futex sleeper is woken promptly. After ``yieldAfterNanoseconds``
/// (default: never) the poller yields between checks.
public struct SpinPolicy: Sendable, Equatable {
    /// Total time spent polling before sleeping.
    public var spinNanoseconds: UInt64
    /// Time after which polling yields the CPU between checks.
    public var yieldAfterNanoseconds: UInt64

    /// Creates a policy.
    public init(spinNanoseconds: UInt64, yieldAfterNanoseconds: UInt64 = .max) {
        self.spinNanoseconds = spinNanoseconds
        self.yieldAfterNanoseconds = yieldAfterNanoseconds
    }

    /// 20 µs of polling, then sleep.
    public static let standard = SpinPolicy(spinNanoseconds: 20_000, yieldAfterNanoseconds: .max)

    /// Waits until `condition` returns true: polls it under this policy, then sleeps on
    /// `events` (whose notifiers must make the condition true before notifying).
    /// - Parameters:
    ///   - events: The event count the condition's writers notify.
    ///   - whilePolling: Called on every polling round (e.g. to reap completions); not called
    ///     while asleep.
    ///   - condition: Checked repeatedly; must be cheap and have no side effect.
    /// - Returns: True when the thread slept (the spin ended without the condition).
    @inline(__always) @discardableResult
    public func wait(on events: EventCount, whilePolling: () -> Void = {}, until condition: () -> Bool) -> Bool {
        if condition() { return false }
        var start: UInt64 = 0
        var elapsed: UInt64 = 0
        var rounds = 0
        while true {
            whilePolling()
            if condition() { return false }
            rounds &+= 1
            if rounds & 31 == 0 {
                let now = dmasync_now_ns()
                if start == 0 { start = now }
                elapsed = now &- start
                if elapsed >= spinNanoseconds { break }
            }
            if elapsed >= yieldAfterNanoseconds { sched_yield() } else { dmasync_cpu_relax() }
        }
        while true {
            let key = events.prepareWait()
            if condition() {
                events.cancelWait()
                return true
            }
            events.commitWait(key)
            if condition() { return true }
        }
    }
}

/// The monotonic clock in nanoseconds (`clock_gettime(CLOCK_MONOTONIC)` through the vDSO).
@inline(__always)
public func monotonicNanoseconds() -> UInt64 { dmasync_now_ns() }

/// Tells the CPU the caller is spinning (x86 `pause`).
@inline(__always)
public func cpuRelax() { dmasync_cpu_relax() }
