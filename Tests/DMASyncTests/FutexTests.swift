import DMASync
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Futex: each outcome of `wait`, and `wake`'s count.
@Suite("Futex: wait outcomes and wake counts")
struct FutexTests {
    @Test("A word that no longer holds the expected value returns valueChanged at once")
    func valueChanged() {
        let word = SharedWord(7)
        #expect(Futex.wait(on: word.pointer, expected: 8, timeoutNanoseconds: 2_000_000_000) == .valueChanged)
    }

    @Test("A wait nobody wakes ends with timedOut after its timeout")
    func timeout() {
        let word = SharedWord(0)
        #expect(Futex.wait(on: word.pointer, expected: 0, timeoutNanoseconds: 2_000_000) == .timedOut)
    }

    @Test("wake with nobody waiting wakes 0 threads")
    func wakeNobody() {
        let word = SharedWord(0)
        #expect(Futex.wake(word.pointer, count: Int32.max) == 0)
    }

    @Test("A sleeping waiter is woken by wake, which counts it; a second wake finds nobody")
    func wakeSleeper() {
        let word = SharedWord(0)
        let outcome = Box<Futex.WaitOutcome?>(nil)
        let finished = Signal()
        startThread {
            let result = Futex.wait(on: word.pointer, expected: 0, timeoutNanoseconds: 5_000_000_000)
            outcome.value = result
            finished.fire()
        }
        // The waiter is asleep once a wake finds it; the word never changes, so it cannot return early.
        var woken = 0
        let deadline = monotonicNanoseconds() + 2_000_000_000
        while woken == 0 && monotonicNanoseconds() < deadline {
            woken = Futex.wake(word.pointer, count: 1)
            if woken == 0 { usleep(100) }
        }
        #expect(woken == 1, "wake found the sleeping waiter within 2 s")
        #expect(finished.wait(), "the waiter returned")
        #expect(outcome.value == .woken)
        #expect(Futex.wake(word.pointer, count: 1) == 0)
    }

    @Test("wake(count:) wakes at most count of the sleepers")
    func wakeCount() {
        let word = SharedWord(0)
        let finished = Signal()
        let returned = Counter()
        for _ in 0..<3 {
            startThread {
                while Futex.wait(on: word.pointer, expected: 0, timeoutNanoseconds: 5_000_000_000) != .woken {}
                returned.increment()
                finished.fire()
            }
        }
        var woken = 0
        let deadline = monotonicNanoseconds() + 2_000_000_000
        while woken < 2 && monotonicNanoseconds() < deadline {
            woken += Futex.wake(word.pointer, count: Int32(2 - woken))
            if woken < 2 { usleep(100) }
        }
        #expect(woken == 2)
        #expect(finished.wait() && finished.wait(), "the two woken threads returned")
        #expect(returned.current == 2, "the third thread still sleeps")
        var last = 0
        while last == 0 && monotonicNanoseconds() < deadline + 2_000_000_000 {
            last = Futex.wake(word.pointer, count: Int32.max)
            if last == 0 { usleep(100) }
        }
        #expect(last == 1 && finished.wait(), "the third thread is woken by the next wake")
    }

    @Test("A misaligned word is refused by the kernel with EINVAL, not taken for a wake-up")
    func misaligned() {
        let word = SharedWord(0)
        let misaligned = UnsafeMutableRawPointer(word.pointer).advanced(by: 1).assumingMemoryBound(to: UInt32.self)
        #expect(Futex.wait(on: misaligned, expected: 0, timeoutNanoseconds: 1_000_000) == .failed(errno: EINVAL))
        #expect(Futex.wake(misaligned, count: 1) == 0)
    }
}
