import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs actions at deadlines, on one thread of its own (started on first use, never stopped).
///
/// The Swift API's timeouts use it rather than a sleeping task: a timeout must fire even when
/// every thread of the cooperative pool is blocked, and a device that hangs is exactly what
/// may block them. Actions run on the timer thread, one at a time, and must be short (the
/// timeouts only expire a token and resume a continuation).
final class DeadlineTimer: @unchecked Sendable {
    // @unchecked Sendable: `entries` and `nextID` are only touched with `mutex` held; the
    // mutex and condition live in memory allocated once and never freed.

    /// The one timer of the process.
    static let shared = DeadlineTimer()

    private struct Entry {
        var deadline: UInt64
        var action: @Sendable () -> Void
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 1
    private var started = false

    private init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    /// Runs `action` on the timer thread once `delay` has passed, unless cancelled first.
    /// - Returns: The id to pass to ``cancel(_:)``, or nil when the timer thread cannot be
    ///   started (then `action` never runs).
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> UInt64? {
        let (seconds, attoseconds) = delay.components
        let nanoseconds = UInt64(clamping: seconds).multipliedReportingOverflow(by: 1_000_000_000).partialValue
            &+ UInt64(clamping: attoseconds / 1_000_000_000)
        let deadline = Self.now().addingReportingOverflow(nanoseconds)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard started || startThread() else { return nil }
        let id = nextID
        nextID += 1
        entries[id] = Entry(deadline: deadline.overflow ? UInt64.max : deadline.partialValue, action: action)
        pthread_cond_signal(condition)
        return id
    }

    /// Forgets a scheduled action; nothing happens if it already ran.
    func cancel(_ id: UInt64) {
        pthread_mutex_lock(mutex)
        entries[id] = nil
        pthread_mutex_unlock(mutex)
    }

    /// Starts the timer thread ("dmahost-timer", never joined). Must be called with the mutex held.
    private func startThread() -> Bool {
        guard let thread = try? POSIXThread(name: "dmahost-timer", { [self] in run() }) else { return false }
        thread.detach()
        started = true
        return true
    }

    /// The timer thread: sleeps until the earliest deadline (or a new entry), runs what is due.
    private func run() {
        pthread_mutex_lock(mutex)
        while true {
            let now = Self.now()
            let due = entries.filter { $0.value.deadline <= now }
            if !due.isEmpty {
                for id in due.keys { entries[id] = nil }
                pthread_mutex_unlock(mutex)
                for entry in due.values.sorted(by: { $0.deadline < $1.deadline }) { entry.action() }
                pthread_mutex_lock(mutex)
                continue
            }
            if let earliest = entries.values.map(\.deadline).min() {
                var until = timespec(tv_sec: Int(clamping: earliest / 1_000_000_000), tv_nsec: Int(earliest % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &until)
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    private static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
