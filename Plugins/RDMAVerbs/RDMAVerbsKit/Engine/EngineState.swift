import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The mutable state of an ``RDMAEngine``, kept behind its mutex: the work-request slots,
/// the queue of operations waiting for slots, operations ready for delivery, the queue-pair
/// phase, and the buffers work requests are built in.
struct EngineState: ~Copyable {
    /// Where the loopback queue pair stands.
    enum Phase: Equatable {
        /// Posting allowed.
        case ready
        /// A request failed: the queue pair is in the error state and its requests are being
        /// flushed; nothing is posted until they all completed.
        case draining
        /// The completion thread is resetting and reconnecting the queue pairs.
        case recovering
        /// Recovery failed; the device must be closed and reopened.
        case failed(String)
    }

    var phase: Phase = .ready
    /// Set by close: no new operations, queued ones cancelled.
    var closing = false
    /// Operation of each work-request slot (the slot index is the `wr_id`).
    var slots: [Operation?]
    var freeSlots: [Int]
    /// Work requests posted and not completed.
    var outstanding = 0
    /// Slots of the posted work requests, in posting order (the send queue completes in order).
    var posted: SlotFIFO
    /// The completion thread, once it runs.
    var completionThread: pthread_t?
    /// True while the completion thread delivers completions.
    var delivering = false
    /// Unsignaled requests posted since the last signaled one.
    var unsignaledRun = 0
    /// Operations with requests not yet posted, oldest first (only the head may be partly posted).
    var queue = OperationQueue()
    /// Finished operations whose leases and callbacks the completion thread still has to handle.
    var finished: [Operation] = []
    /// Counters for diagnosis.
    var counters = EngineCounters()

    /// Work-request and scatter-gather buffers for one `ibv_post_send` chain.
    let requests: UnsafeMutablePointer<ibv_send_wr>
    let sges: UnsafeMutablePointer<ibv_sge>
    let sgeCapacity: Int

    init(slots count: Int, maxSGE: Int) {
        slots = Array(repeating: nil, count: count)
        freeSlots = Array((0..<count).reversed())
        posted = SlotFIFO(capacity: count)
        requests = .allocate(capacity: count)
        requests.initialize(repeating: ibv_send_wr(), count: count)
        sgeCapacity = count * maxSGE
        sges = .allocate(capacity: sgeCapacity)
        sges.initialize(repeating: ibv_sge(), count: sgeCapacity)
    }

    deinit {
        requests.deallocate()
        sges.deallocate()
    }

    /// True on the completion thread while it delivers completions: submissions then only
    /// queue, and the thread posts them together when it is done.
    var deferringPosts: Bool {
        guard delivering, let completionThread else { return false }
        return pthread_equal(completionThread, pthread_self()) != 0
    }

    /// Hands an operation over for delivery (once).
    mutating func finish(_ operation: Operation) {
        guard !operation.finished else { return }
        operation.finished = true
        finished.append(operation)
        counters.completed += 1
        if operation.status != 0 { counters.failed += 1 }
    }

    /// Ends every queued operation with `status` (close, failed recovery). Operations with
    /// requests in flight end when those complete.
    mutating func abandonQueue(status: Int32) {
        while let operation = queue.popFirst() {
            operation.status = CompletionStatus.merge(operation.status, status)
            if operation.done { finish(operation) }
        }
    }
}

/// Counters of an engine, for diagnosis and tests.
public struct EngineCounters: Sendable, Equatable {
    /// Operations accepted.
    public var submitted: UInt64 = 0
    /// Operations ended (callback delivered or about to be).
    public var completed: UInt64 = 0
    /// Operations that ended with an error.
    public var failed: UInt64 = 0
    /// Work requests posted.
    public var posted: UInt64 = 0
    /// Error completions (flushes excluded).
    public var errorCompletions: UInt64 = 0
    /// Flushed work requests.
    public var flushed: UInt64 = 0
    /// Successful queue-pair recoveries.
    public var recoveries: UInt64 = 0
    /// Operations refused with -EAGAIN because the queue was full.
    public var refusedBusy: UInt64 = 0
    /// Fences posted to signal an unsignaled tail.
    public var fences: UInt64 = 0
    /// Work completions taken from the completion queue (fewer than requests: selective signaling).
    public var completionEntries: UInt64 = 0
}

/// A FIFO of operations (amortised O(1) at both ends). Popped slots are cleared at once, so
/// an ended operation (and the registrations it holds) is not kept alive by the queue.
struct OperationQueue {
    private var items: [Operation?] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { count == 0 }
    var first: Operation? { head < items.count ? items[head] : nil }

    mutating func append(_ operation: Operation) { items.append(operation) }

    @discardableResult
    mutating func popFirst() -> Operation? {
        guard head < items.count else { return nil }
        let operation = items[head]
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return operation
    }
}
