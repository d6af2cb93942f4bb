import DMASync
import Synchronization
import Testing

/// EventCount: the prepare / re-check / commit protocol, and no lost wake-up between threads.
@Suite("EventCount: wait and notify")
struct EventCountTests {
    @Test("A notify after prepareWait makes commitWait return at once")
    func notifyBetweenPrepareAndCommit() {
        let events = EventCount()
        let key = events.prepareWait()
        events.notify()
        let returned = Signal()
        startThread {
            events.commitWait(key)
            returned.fire()
        }
        let ok = returned.wait()
        #expect(ok, "commitWait returned without another notify")
        if !ok { events.notifyAll() }
    }

    @Test("A notify before prepareWait does not count: commitWait sleeps until the next notify")
    func notifyBeforePrepareIsNotKept() {
        let events = EventCount()
        events.notify()
        events.notifyAll()
        let (prepared, returned, done) = startSleeper(on: events)
        #expect(prepared.wait())
        sleepMilliseconds(20)
        #expect(!done.isRaised, "the waiter sleeps: nothing happened after its prepareWait")
        events.notify()
        #expect(returned.wait(), "the notify woke it")
    }

    @Test("A cancelled wait leaves no waiter behind: the next prepare/commit still sleeps until notified")
    func cancel() {
        let events = EventCount()
        for _ in 0..<3 {
            _ = events.prepareWait()
            events.cancelWait()
        }
        let (prepared, returned, done) = startSleeper(on: events)
        #expect(prepared.wait())
        sleepMilliseconds(10)
        #expect(!done.isRaised)
        events.notify()
        #expect(returned.wait())
    }

    @Test("notifyIfWaiting wakes a waiter that announced itself before the call, and is a no-op without one")
    func notifyIfWaiting() {
        let events = EventCount()
        events.notifyIfWaiting()
        let (prepared, returned, done) = startSleeper(on: events)
        #expect(prepared.wait())
        sleepMilliseconds(10)
        #expect(!done.isRaised, "the earlier notifyIfWaiting, with nobody waiting, did not count")
        events.notifyIfWaiting()
        let ok = returned.wait()
        #expect(ok, "notifyIfWaiting woke the announced waiter")
        if !ok { events.notifyAll() }
    }

    @Test("notifyAll wakes every sleeping waiter")
    func notifyAll() {
        let events = EventCount()
        let waiters = 4
        let prepared = Signal(), returned = Signal()
        for _ in 0..<waiters {
            startThread {
                let key = events.prepareWait()
                prepared.fire()
                events.commitWait(key)
                returned.fire()
            }
        }
        for _ in 0..<waiters { #expect(prepared.wait()) }
        events.notifyAll()
        var woken = 0
        for _ in 0..<waiters where returned.wait() { woken += 1 }
        #expect(woken == waiters)
    }

    @Test("No lost wake-up: two threads hand a token back and forth, each sleeping until the other notifies")
    func pingPong() {
        let rounds = 3_000
        let turn = Counter()  // even: ping's turn, odd: pong's turn
        let pingEvents = EventCount(), pongEvents = EventCount()
        let finished = Signal()
        /// Waits (always through the sleeping path) until `turn` has `parity`, then passes it on.
        @Sendable func play(parity: Int, mine: EventCount, theirs: EventCount) {
            for _ in 0..<rounds {
                while turn.value.load(ordering: .acquiring) & 1 != parity {
                    let key = mine.prepareWait()
                    if turn.value.load(ordering: .acquiring) & 1 == parity {
                        mine.cancelWait()
                        break
                    }
                    mine.commitWait(key)
                }
                turn.value.wrappingAdd(1, ordering: .releasing)
                theirs.notify()
            }
            finished.fire()
        }
        startThread { play(parity: 0, mine: pingEvents, theirs: pongEvents) }
        startThread { play(parity: 1, mine: pongEvents, theirs: pingEvents) }
        let bothFinished = finished.wait(seconds: 10) && finished.wait(seconds: 10)
        #expect(bothFinished, "a wake-up was lost: the token stopped at \(turn.value.load(ordering: .relaxed)) of \(2 * rounds)")
        #expect(turn.value.load(ordering: .relaxed) == 2 * rounds)
        if !bothFinished {
            pingEvents.notifyAll()
            pongEvents.notifyAll()
        }
    }

    @Test("No lost wake-up with several notifiers: a consumer sleeping on a counter sees every increment")
    func manyNotifiers() {
        let producers = 3, perProducer = 1_000
        let produced = Counter()
        let events = EventCount()
        let consumed = Signal()
        startThread {
            var seen = 0
            while seen < producers * perProducer {
                let key = events.prepareWait()
                let now = produced.value.load(ordering: .acquiring)
                if now != seen {
                    events.cancelWait()
                    seen = now
                    continue
                }
                events.commitWait(key)
            }
            consumed.fire()
        }
        for _ in 0..<producers {
            startThread {
                for _ in 0..<perProducer {
                    produced.value.wrappingAdd(1, ordering: .releasing)
                    events.notify()
                }
            }
        }
        let ok = consumed.wait(seconds: 10)
        #expect(ok, "the consumer missed the last notify: it stopped before \(producers * perProducer)")
        if !ok { events.notifyAll() }
    }
}

/// Starts a thread that announces itself on `events` (then fires `prepared`), sleeps until a
/// notify, then raises `done` and fires `returned`.
private func startSleeper(on events: EventCount) -> (prepared: Signal, returned: Signal, done: Flag) {
    let prepared = Signal(), returned = Signal()
    let done = Flag()
    startThread {
        let key = events.prepareWait()
        prepared.fire()
        events.commitWait(key)
        done.raise()
        returned.fire()
    }
    return (prepared, returned, done)
}
