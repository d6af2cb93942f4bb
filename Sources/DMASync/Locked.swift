#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A value protected by a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex`, whose Linux implementation (a raw futex) is
/// invisible to ThreadSanitizer: with it, TSan reports every access of the protected state as
/// a race, which would hide real ones. pthread mutexes are intercepted by TSan, so
/// `--sanitize=thread` runs check the locking for real.
public final class Locked<Value: ~Copyable>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only accessed inside withLock, with `mutex` held.
    @usableFromInline var value: Value
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Guards `value`.
    public init(_ value: consuming Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the mutex held (`pthread_mutex_lock` / `pthread_mutex_unlock`).
    /// `body` must not call withLock on the same instance. Inlinable, so that callers in other
    /// modules get it specialised for their value and result types.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
