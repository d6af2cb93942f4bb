import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A completion event channel (`struct ibv_comp_channel`): a file descriptor that becomes
/// readable when an armed completion queue gets a completion. Destroyed
/// (`ibv_destroy_comp_channel`) when the last reference goes away; completion queues that
/// report to it keep it alive.
public final class CompletionChannel: @unchecked Sendable {
    // @unchecked Sendable: the pointer is immutable; events are read by one thread (the
    // engine's completion thread).

    /// The C handle.
    public let raw: UnsafeMutablePointer<ibv_comp_channel>
    private let context: VerbsContext

    init(raw: UnsafeMutablePointer<ibv_comp_channel>, context: VerbsContext) {
        self.raw = raw
        self.context = context
    }

    deinit {
        ibv_destroy_comp_channel(raw)
    }

    /// The descriptor to wait on with `poll(2)`.
    public var fileDescriptor: Int32 { raw.pointee.fd }

    /// Sets O_NONBLOCK on the descriptor (`fcntl`), so that ``nextEvent()`` never blocks.
    func makeNonBlocking() throws(VerbsError) {
        let fd = fileDescriptor
        let flags = try VerbsCall.count("fcntl", "reading the flags of completion channel fd \(fd)") { Int(fcntl(fd, F_GETFL)) }
        _ = try VerbsCall.count("fcntl", "making completion channel fd \(fd) non-blocking") {
            Int(fcntl(fd, F_SETFL, Int32(flags) | O_NONBLOCK))
        }
    }

    /// Takes one pending event (`ibv_get_cq_event`); the caller acknowledges it on the queue
    /// (``CompletionQueue/acknowledge(events:)``).
    /// - Returns: The completion queue the event is for, or nil when no event is pending.
    public func nextEvent() throws(VerbsError) -> UnsafeMutablePointer<ibv_cq>? {
        var cq: UnsafeMutablePointer<ibv_cq>?
        var context: UnsafeMutableRawPointer?
        do throws(VerbsError) {
            try VerbsCall.check("ibv_get_cq_event", "reading completion channel fd \(fileDescriptor)") {
                ibv_get_cq_event(raw, &cq, &context)
            }
        } catch where error.errno == EAGAIN {
            return nil
        }
        return cq
    }
}
