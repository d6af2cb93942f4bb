@testable import CPUCopyEngine
import Testing

/// The adaptive poll of an idle worker: longer after a short sleep, back to the base after a
/// long one, never beyond the maximum.
@Suite("CPU copy engine: idle spin")
struct IdleSpinTests {
    @Test("a wake-up soon after falling asleep doubles the poll up to the maximum; a long sleep resets it")
    func adapts() {
        var spin = IdleSpin(base: 20_000, maximum: 200_000)
        #expect(spin.nanoseconds == 20_000)
        spin.record(idleNanoseconds: 30_000)
        #expect(spin.nanoseconds == 60_000, "twice the idle time")
        spin.record(idleNanoseconds: 25_000)
        #expect(spin.nanoseconds == 120_000, "twice the poll, which was longer than the idle time")
        spin.record(idleNanoseconds: 150_000)
        #expect(spin.nanoseconds == 200_000, "capped at the maximum")
        spin.record(idleNanoseconds: 5_000_000)
        #expect(spin.nanoseconds == 20_000, "a quiet engine polls only the base")
    }

    @Test("a maximum below the base is the base")
    func maximumBelowBase() {
        var spin = IdleSpin(base: 20_000, maximum: 1_000)
        spin.record(idleNanoseconds: 10_000)
        #expect(spin.nanoseconds == 20_000)
    }
}
