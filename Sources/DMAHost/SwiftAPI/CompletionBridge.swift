import CDMAHostABI
import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How an awaited operation ended.
enum AwaitedOutcome: Sendable {
    /// Completed with this status (0 or a negated errno).
    case status(Int32)
    /// Refused by the submitting call with this status (a malformed one is kept as returned,
    /// for the error message).
    case refused(Int32)
    /// The timeout expired first; the operation was abandoned.
    case timedOut
}

/// The continuation of one awaited operation and the deadline that may expire it.
///
/// Retained once when the operation starts (`passRetained`, the slot's context) and released
/// exactly once: by the slot's handler (a completion after the submitting call returned 0),
/// by the submitter (a refusal, or a completion during the call), or by the timer (a timeout
/// that won against the completion). The slot's compare-and-swap decides which of the three
/// runs; the others never touch the box.
final class ContinuationBox: Sendable {
    let continuation: CheckedContinuation<AwaitedOutcome, Never>
    private let timer = Locked<(id: UInt64?, finished: Bool)>((nil, false))

    init(_ continuation: CheckedContinuation<AwaitedOutcome, Never>) { self.continuation = continuation }

    /// Resumes the awaiting task and cancels the timer (if any).
    func finish(_ outcome: AwaitedOutcome) {
        let id = timer.withLock { state -> UInt64? in
            state.finished = true
            defer { state.id = nil }
            return state.id
        }
        if let id { DeadlineTimer.shared.cancel(id) }
        continuation.resume(returning: outcome)
    }

    /// Schedules `expire` after `delay` (on the ``DeadlineTimer`` thread) unless the operation
    /// already finished.
    func startTimer(after delay: Duration, _ expire: @escaping @Sendable () -> Void) {
        timer.withLock { state in
            guard !state.finished else { return }
            state.id = DeadlineTimer.shared.schedule(after: delay, expire)
        }
    }
}

/// The slot handler of an awaited operation: `context` is the retained ``ContinuationBox``.
let resumeAwaitingTask: CompletionHandler = { context, rc in
    guard let context else { return }
    Unmanaged<ContinuationBox>.fromOpaque(context).takeRetainedValue().finish(.status(rc))
}

/// What the timeout needs: the slot, the operation's argument and the slot's reference
/// to the box.
private struct TimerTarget: @unchecked Sendable {
    // @unchecked Sendable: the argument is an encoded token, not memory; the retained
    // reference is taken only by the party that wins the slot's compare-and-swap.
    let slot: CompletionSlot
    let argument: UnsafeMutableRawPointer
    let retained: Unmanaged<ContinuationBox>

    /// Expires the operation; when that wins against its completion, drops the slot's
    /// reference to the box and resumes the awaiting task with a timeout.
    func fire(_ box: ContinuationBox) {
        guard slot.expire(argument) else { return }
        retained.release()
        box.finish(.timedOut)
    }
}

/// Starts an operation with a completion token (``CompletionSlot``) and suspends until it
/// completes, is refused, or `timeout` expires.
///
/// Whatever the domain does with the completion (call it twice, call it and then return an
/// error, call it after an error, never call it), the caller resumes exactly once; the faults
/// are counted against `domain` (``CompletionFaults``).
/// - Parameters:
///   - what: Description for the error message, e.g. "pull from cpu:0".
///   - domain: The domain whose callback runs (faults are counted against it).
///   - bytes: The operation's size, for the timeout message.
///   - timeout: How long to wait for the completion after the submitting call returned 0;
///     nil waits for as long as it takes.
///   - diagnose: For a refusal with `-EINVAL` or `-EFAULT`: which argument broke which rule of
///     `dmahost/iovec.h`, or nil. Its message replaces the bare errno's when the errno matches.
///   - start: Calls the C function with the given callback and argument; returns its rc.
/// - Throws: ``DMAError`` for a failed submission or completion; `ETIMEDOUT` (a
///   ``DMAError/system(errno:_:)``) when the timeout expired, naming the operation.
func awaitCompletion(
    _ what: @autoclosure () -> String,
    domain: OpaquePointer,
    bytes: @autoclosure () -> Int,
    timeout: Duration?,
    diagnose: () -> IOVecViolation? = { nil },
    _ start: (spdk_memory_domain_data_cpl_cb, UnsafeMutableRawPointer) -> Int32
) async throws(DMAError) {
    let outcome: AwaitedOutcome = await withCheckedContinuation { continuation in
        // `box` keeps the box alive for this closure; `retained` is the slot's reference.
        let box = ContinuationBox(continuation)
        let retained = Unmanaged.passRetained(box)
        guard let slot = CompletionSlot.acquire(),
              let argument = slot.arm(domain: domain, handler: resumeAwaitingTask, context: retained.toOpaque(),
                                      relinquishAfterDelivery: true) else {
            retained.release()
            box.finish(.status(-ENOMEM))
            return
        }
        let started = start(CompletionSlot.callback, argument)
        switch slot.submitted(started) {
        case .pending:
            guard let timeout else { return }
            let target = TimerTarget(slot: slot, argument: argument, retained: retained)
            box.startTimer(after: timeout) { target.fire(box) }
        case .completed(let rc):
            slot.relinquish()
            retained.release()
            box.finish(.status(rc))
        case .refused(let rc):
            slot.relinquish()
            retained.release()
            // A malformed status keeps its value, for the error message.
            box.finish(.refused(PluginStatus(started).isWellFormed ? rc : started))
        }
    }
    switch outcome {
    case .status(let rc):
        if let error = PluginStatus(rc).error(context: what()) { throw error }
    case .refused(let rc):
        if rc == -EINVAL || rc == -EFAULT, let violation = diagnose(), violation.error.negativeErrno == rc {
            throw violation.dmaError("\(what()) refused")
        }
        if let error = PluginStatus(rc).error(context: what()) { throw error }
    case .timedOut:
        throw .system(errno: ETIMEDOUT, "\(what()) (\(bytes()) bytes) did not complete within \(timeout.map { "\($0)" } ?? "the timeout"); "
            + "the host stopped waiting and counts a completion that comes later as late. The device may still access the buffers: "
            + "keep them valid until the device is closed")
    }
}
