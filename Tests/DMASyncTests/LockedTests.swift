import DMASync
import Testing

/// Locked: mutual exclusion, results and typed errors, non-copyable values.
@Suite("Locked: a pthread-mutex-guarded value")
struct LockedTests {
    @Test("Increments from several threads are never lost")
    func exclusion() {
        let threads = 4, increments = 20_000
        let locked = Locked(0)
        let finished = Signal()
        for _ in 0..<threads {
            startThread {
                for _ in 0..<increments {
                    // Read, yield the CPU hint, write: without the lock, increments would be lost.
                    locked.withLock { value in
                        let read = value
                        cpuRelax()
                        value = read + 1
                    }
                }
                finished.fire()
            }
        }
        for _ in 0..<threads { #expect(finished.wait(seconds: 10)) }
        #expect(locked.withLock { $0 } == threads * increments)
    }

    /// The error a body throws in these tests.
    struct Refusal: Error, Equatable { let code: Int }

    @Test("withLock returns the body's result, rethrows its typed error with the change kept, and unlocks")
    func resultAndError() {
        let locked = Locked([1, 2])
        #expect(locked.withLock { $0.count } == 2)
        let result = Result { () throws(Refusal) -> Int in
            try locked.withLock { (value: inout [Int]) throws(Refusal) -> Int in
                value.append(3)
                throw Refusal(code: 7)
            }
        }
        #expect(result == .failure(Refusal(code: 7)))
        let unlocked = Signal()
        let seen = Box<[Int]>([])
        startThread {
            seen.value = locked.withLock { $0 }
            unlocked.fire()
        }
        #expect(unlocked.wait(), "the mutex was released when the body threw")
        #expect(seen.value == [1, 2, 3], "the change made before the throw is kept")
    }

    /// A value that cannot be copied.
    struct Token: ~Copyable {
        var uses = 0
    }

    @Test("A non-copyable value is guarded in place")
    func nonCopyable() {
        let locked = Locked(Token())
        for _ in 0..<3 { locked.withLock { $0.uses += 1 } }
        #expect(locked.withLock { $0.uses } == 3)
    }
}
