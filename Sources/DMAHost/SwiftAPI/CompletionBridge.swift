import CDMAHostABI

/// Turns one `spdk_memory_domain_data_cpl_cb` completion into the resumption of a Swift task.
///
/// The box is retained when the operation starts (`passRetained`) and released exactly once:
/// by the completion callback, or at once when the operation returned non-zero (in which
/// case, by contract, the callback is never invoked).
final class CompletionBox: Sendable {
    let continuation: CheckedContinuation<Int32, Never>
    init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }
}

/// The C completion callback handed to domains; `arg` is a retained ``CompletionBox``.
let completionTrampoline: spdk_memory_domain_data_cpl_cb = { arg, rc in
    guard let arg else { return }
    Unmanaged<CompletionBox>.fromOpaque(arg).takeRetainedValue().continuation.resume(returning: rc)
}

/// Starts an operation with a completion callback and suspends until it completes.
/// - Parameters:
///   - what: Description for the error message, e.g. "pull from cpu:0".
///   - start: Calls the C function with the given callback and argument; returns its rc.
/// - Throws: ``DMAError`` for a non-zero synchronous rc or a non-zero completion rc.
func awaitCompletion(
    _ what: @autoclosure () -> String,
    _ start: (spdk_memory_domain_data_cpl_cb, UnsafeMutableRawPointer) -> Int32
) async throws(DMAError) {
    let rc: Int32 = await withCheckedContinuation { continuation in
        let box = Unmanaged.passRetained(CompletionBox(continuation))
        let started = start(completionTrampoline, box.toOpaque())
        if started != 0 {
            box.release()
            continuation.resume(returning: started)
        }
    }
    if rc != 0 { throw DMAError(errno: rc, context: what()) }
}
