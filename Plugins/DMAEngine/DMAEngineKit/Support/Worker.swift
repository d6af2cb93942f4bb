import Dispatch
import Synchronization

/// Runs a domain's operations one after another and bounds how many may be in flight.
///
/// The operations run on a serial dispatch queue: in order, one at a time, on threads of
/// libdispatch's pool, not a thread of the domain's own. Each is bounded (a copy through the CPU
/// mapping, a DSA descriptor and its completion record, the submission of a pull), so the shared
/// pool suits them. Operations that complete elsewhere (a pull delegated to another domain) hold
/// a slot too, so ``waitIdle()`` (used when a device is closed) waits for every one of them.
final class Worker: Sendable {
    private let queue: DispatchQueue
    private let inFlight = Atomic<Int>(0)
    /// Most operations in flight; more are refused (-EAGAIN).
    let limit: Int

    /// A worker named `label` accepting up to `limit` operations in flight.
    init(label: String, limit: Int = 1024) {
        queue = DispatchQueue(label: label)
        self.limit = limit
    }

    /// Takes a slot; false when `limit` operations are in flight already.
    func reserve() -> Bool {
        let now = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if now > limit {
            inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return false
        }
        return true
    }

    /// Gives a slot back.
    func release() {
        inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing)
    }

    /// Runs `job` on the worker thread, then gives its slot back. Call after ``reserve()``.
    func run(_ job: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            job()
            release()
        }
    }

    /// Operations in flight now.
    var pending: Int { inFlight.load(ordering: .acquiring) }

    /// Waits until no operation is in flight (queued jobs ran, delegated ones completed).
    func waitIdle() {
        queue.sync {}
        while inFlight.load(ordering: .acquiring) > 0 {
            usleep(1000)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
