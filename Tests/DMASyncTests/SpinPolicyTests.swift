import DMASync
import Synchronization
import Testing

/// SpinPolicy: polling first, then sleeping on the event count until notified.
@Suite("SpinPolicy: poll, then sleep on an EventCount")
struct SpinPolicyTests {
    @Test("A condition already true returns at once, without a polling round")
    func alreadyTrue() {
        var polls = 0
        SpinPolicy.standard.wait(on: EventCount(), whilePolling: { polls += 1 }, until: { true })
        #expect(polls == 0)
    }

    @Test("While spinning, whilePolling runs before every check until the condition holds")
    func pollsUntilTrue() {
        var polls = 0
        let policy = SpinPolicy(spinNanoseconds: 10_000_000_000)
        policy.wait(on: EventCount(), whilePolling: { polls += 1 }, until: { polls >= 5 })
        #expect(polls == 5, "no sleep: the condition became true while polling")
    }

    @Test("After the spin the waiter sleeps: no polling round while asleep, and a notify wakes it")
    func sleepsThenWakes() {
        let events = EventCount()
        let ready = Flag()
        let polls = Counter()
        let returned = Signal()
        startThread {
            SpinPolicy(spinNanoseconds: 0).wait(on: events, whilePolling: { polls.increment() },
                                                until: { ready.isRaised })
            returned.fire()
        }
        // Once asleep, the poll count stays put.
        var before = -1, after = polls.current, checks = 0
        while (before != after || after == 0) && checks < 100 {
            before = after
            sleepMilliseconds(10)
            after = polls.current
            checks += 1
        }
        #expect(before == after && after > 0, "polling stopped after the spin (polls: \(after))")
        ready.raise()
        events.notify()
        let ok = returned.wait()
        #expect(ok, "the notify woke the sleeping waiter")
        #expect(polls.current == after, "no polling round after waking")
        if !ok { events.notifyAll() }
    }

    @Test("A waiter that yields between checks still returns when the condition holds",
          arguments: [UInt64(0), 1_000_000])
    func yielding(yieldAfter: UInt64) {
        let ready = Flag()
        let events = EventCount()
        let returned = Signal()
        startThread {
            SpinPolicy(spinNanoseconds: 50_000_000, yieldAfterNanoseconds: yieldAfter)
                .wait(on: events, until: { ready.isRaised })
            returned.fire()
        }
        sleepMilliseconds(5)
        ready.raise()
        events.notify()
        let ok = returned.wait()
        #expect(ok)
        if !ok { events.notifyAll() }
    }

    @Test("The standard policy spins 20 µs and never yields")
    func standard() {
        #expect(SpinPolicy.standard == SpinPolicy(spinNanoseconds: 20_000))
        #expect(SpinPolicy.standard.yieldAfterNanoseconds == .max)
    }

    @Test("The monotonic clock never goes back and advances across a sleep")
    func clock() {
        var last = monotonicNanoseconds()
        for _ in 0..<1000 {
            let now = monotonicNanoseconds()
            #expect(now >= last)
            last = now
        }
        sleepMilliseconds(1)
        #expect(monotonicNanoseconds() > last)
    }
}
