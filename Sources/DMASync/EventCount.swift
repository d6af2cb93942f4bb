import CDMASync
import Synchronization

/// A futex-backed event count: lets threads sleep until "something changed" without a lock,
/// and costs a notifier only a fence and one load while nobody sleeps.
///
/// A waiter announces itself with ``prepareWait()``, re-checks its condition, and then either
/// calls ``cancelWait()`` (the condition became true) or ``commitWait(_:)`` (it sleeps until the
/// next ``notify(count:)``). A notifier first makes the condition true (with any store), then
/// calls ``notify(count:)``. The sequentially consistent fences on both sides guarantee that
/// either the waiter sees the condition or the notifier sees the waiter: no wake-up is lost.
public final class EventCount: @unchecked Sendable {
    // @unchecked Sendable: the only state is two atomics in memory this object owns; every
    // access goes through Atomic operations.

    /// Cache-line sized block: the futex word (the epoch) at offset 0, the waiter count at 8.
    @usableFromInline let block: UnsafeMutableRawPointer
    /// The futex word: advanced by every wake-up.
    @usableFromInline var epoch: UnsafeMutablePointer<Atomic<UInt32>> { block.assumingMemoryBound(to: Atomic<UInt32>.self) }
    /// Threads between ``prepareWait()`` and the end of their wait.
    @usableFromInline var waiters: UnsafeMutablePointer<Atomic<Int>> { (block + 8).assumingMemoryBound(to: Atomic<Int>.self) }

    /// Creates an event count with no waiters.
    public init() {
        block = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        block.bindMemory(to: Atomic<UInt32>.self, capacity: 1).initialize(to: Atomic(0))
        (block + 8).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
    }

    deinit {
        _ = epoch.deinitialize(count: 1)
        _ = waiters.deinitialize(count: 1)
        block.deallocate()
    }

    /// Announces a waiter. Re-check the condition after this call, then call ``cancelWait()``
    /// or ``commitWait(_:)`` with the returned key.
    @inline(__always)
    public func prepareWait() -> UInt32 {
        waiters.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return epoch.pointee.load(ordering: .acquiring)
    }

    /// Withdraws a waiter announced by ``prepareWait()`` whose condition became true.
    @inline(__always)
    public func cancelWait() {
        waiters.pointee.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Sleeps until a ``notify(count:)`` that happens after ``prepareWait()`` returned `key`
    /// (returns at once if one already happened), then withdraws the waiter.
    public func commitWait(_ key: UInt32) {
        let word = UnsafeMutableRawPointer(epoch).assumingMemoryBound(to: UInt32.self)
        while epoch.pointee.load(ordering: .acquiring) == key {
            if Futex.wait(on: word, expected: key) == .valueChanged { break }
        }
        waiters.pointee.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Wakes up to `count` waiters, if there are any. Call it after making their condition true.
    @inlinable @inline(__always)
    public func notify(count: Int32 = 1) {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if waiters.pointee.load(ordering: .relaxed) > 0 { wake(count) }
    }

    /// Wakes up to `count` waiters that this thread already sees, without the fence of
    /// ``notify(count:)``: a waiter that is announcing itself at this moment may miss this
    /// call. Only for a notifier that makes sure the condition is acted on anyway (a worker
    /// that queues work for itself and looks at the queue again before it sleeps): the call
    /// then only spreads the work to other waiters, and costs one load while nobody sleeps.
    @inlinable @inline(__always)
    public func notifyIfWaiting(count: Int32 = 1) {
        if waiters.pointee.load(ordering: .relaxed) > 0 { wake(count) }
    }

    /// Wakes every waiter.
    public func notifyAll() { notify(count: Int32.max) }

    /// Advances the epoch and wakes up to `count` sleepers (the slow path of the notifiers).
    @usableFromInline @inline(never)
    func wake(_ count: Int32) {
        epoch.pointee.wrappingAdd(1, ordering: .releasing)
        Futex.wake(UnsafeMutableRawPointer(epoch).assumingMemoryBound(to: UInt32.self), count: count)
    }
}
