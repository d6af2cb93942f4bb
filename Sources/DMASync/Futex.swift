import CDMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Thin wrapper over the Linux futex(2) system call, private to this process
/// (`FUTEX_WAIT_PRIVATE` / `FUTEX_WAKE_PRIVATE`, through `dmasync_futex_wait` and
/// `dmasync_futex_wake`). The one place where futex errno values are interpreted;
/// `EINTR` is retried here.
public enum Futex {
    /// Why ``wait(on:expected:timeoutNanoseconds:)`` returned. Callers always re-check the
    /// condition they wait for: a futex may wake spuriously.
    public enum WaitOutcome: Equatable, Sendable {
        /// Another thread called ``wake(_:count:)`` (or the kernel woke the waiter spuriously).
        case woken
        /// The word no longer held the expected value on entry (`EAGAIN`): nothing to wait for.
        case valueChanged
        /// The timeout passed (`ETIMEDOUT`).
        case timedOut
        /// futex(2) failed with this errno (`EFAULT`, `EINVAL`: a misaligned or unmapped word);
        /// treat it like a spurious wake-up.
        case failed(errno: Int32)
    }

    /// Sleeps while `word` holds `expected` (futex `FUTEX_WAIT_PRIVATE`).
    /// - Parameters:
    ///   - word: A 4-byte aligned word shared by the threads of this process.
    ///   - expected: The value the caller last read; the kernel compares atomically.
    ///   - timeoutNanoseconds: Relative timeout; nil waits until woken. An interrupted wait
    ///     (`EINTR`) is restarted with the full timeout.
    public static func wait(on word: UnsafeMutablePointer<UInt32>, expected: UInt32,
                            timeoutNanoseconds: Int64? = nil) -> WaitOutcome {
        while true {
            let rc = dmasync_futex_wait(word, expected, timeoutNanoseconds ?? -1)
            switch -rc {
            case 0: return .woken
            case EINTR: continue
            case EAGAIN: return .valueChanged
            case ETIMEDOUT: return .timedOut
            default: return .failed(errno: -rc)
            }
        }
    }

    /// Wakes at most `count` threads sleeping on `word` (futex `FUTEX_WAKE_PRIVATE`).
    /// - Returns: How many were woken; 0 when the call failed (it can only fail for a
    ///   misaligned or unmapped word, which the callers of this module never pass).
    @discardableResult
    public static func wake(_ word: UnsafeMutablePointer<UInt32>, count: Int32) -> Int {
        let rc = dmasync_futex_wake(word, count)
        return rc < 0 ? 0 : Int(rc)
    }
}
