import Dispatch
import DMASync
import Foundation
import Synchronization

/// Runs `body` on a new thread of its own (not a task of the shared pool, whose threads a
/// blocking wait would take away from other tests).
func startThread(_ body: @escaping @Sendable () -> Void) {
    let thread = Thread(block: body)
    thread.start()
}

/// A signal from one thread to another, waited for with a deadline: a test whose thread never
/// signals fails (naming what did not happen) instead of hanging.
final class Signal: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    /// Signals one waiter.
    func fire() { semaphore.signal() }

    /// Whether the signal came within `seconds`.
    func wait(seconds: Double = 2) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }
}

/// A 32-bit futex word, 64-byte aligned, shared by the threads of a test.
final class SharedWord: @unchecked Sendable {
    // @unchecked Sendable: the tests never write the word; only the kernel reads it.
    let pointer: UnsafeMutablePointer<UInt32>
    private let raw: UnsafeMutableRawPointer

    /// A word holding `value`.
    init(_ value: UInt32) {
        raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        pointer = raw.bindMemory(to: UInt32.self, capacity: 1)
        pointer.initialize(to: value)
    }

    deinit { raw.deallocate() }
}

/// A counter that threads of a test update.
final class Counter: Sendable {
    let value = Atomic<Int>(0)

    /// Adds one and returns the new value.
    @discardableResult
    func increment() -> Int { value.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue }

    /// The current value.
    var current: Int { value.load(ordering: .sequentiallyConsistent) }
}

/// Sleeps the calling thread (never a task: the tests here block threads on purpose).
func sleepMilliseconds(_ milliseconds: Int) {
    usleep(useconds_t(milliseconds * 1000))
}

/// A flag one thread raises and others read.
final class Flag: Sendable {
    private let atomic = Atomic<Bool>(false)

    /// Raises the flag (release ordering: what the caller wrote before is visible to readers).
    func raise() { atomic.store(true, ordering: .releasing) }

    /// Whether the flag was raised.
    var isRaised: Bool { atomic.load(ordering: .acquiring) }
}

/// A value a thread of a test leaves for the test to read (behind a pthread mutex, which
/// ThreadSanitizer sees, unlike `Synchronization.Mutex`).
final class Box<Value: Sendable>: Sendable {
    private let locked: Locked<Value>

    /// A box holding `value`.
    init(_ value: Value) { locked = Locked(value) }

    /// The value held.
    var value: Value {
        get { locked.withLock { $0 } }
        set { locked.withLock { $0 = newValue } }
    }
}
