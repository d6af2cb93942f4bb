import CIBVerbsShim

/// A completion queue (`struct ibv_cq`), destroyed (`ibv_destroy_cq`) when the last reference
/// goes away; queue pairs that use it keep it alive.
public final class CompletionQueue: @unchecked Sendable {
    // @unchecked Sendable: the pointer is immutable; the engine polls a queue from one thread.

    /// The C handle.
    public let raw: UnsafeMutablePointer<ibv_cq>
    private let context: VerbsContext
    private let channel: CompletionChannel?

    init(raw: UnsafeMutablePointer<ibv_cq>, context: VerbsContext, channel: CompletionChannel?) {
        self.raw = raw
        self.context = context
        self.channel = channel
    }

    deinit {
        ibv_destroy_cq(raw)
    }

    /// Number of entries the queue actually has.
    public var capacity: Int32 { raw.pointee.cqe }

    /// Takes up to `buffer.count` completions (`ibv_poll_cq`).
    /// - Returns: The number written at the start of `buffer`; 0 when the queue is empty.
    public func poll(into buffer: UnsafeMutableBufferPointer<ibv_wc>) throws(VerbsError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        return try VerbsCall.count("ibv_poll_cq", "polling a completion queue of \(context.name)") {
            Int(dmahost_rdma_ibv_poll_cq(raw, Int32(clamping: buffer.count), base))
        }
    }

    /// Arms the queue: its next completion raises an event on the channel (`ibv_req_notify_cq`).
    public func requestNotification() throws(VerbsError) {
        try VerbsCall.check("ibv_req_notify_cq", "arming a completion queue of \(context.name)") {
            dmahost_rdma_ibv_req_notify_cq(raw, 0)
        }
    }

    /// Acknowledges events taken with ``CompletionChannel/nextEvent()`` (`ibv_ack_cq_events`);
    /// every event must be acknowledged before the queue is destroyed.
    public func acknowledge(events: UInt32) {
        guard events > 0 else { return }
        ibv_ack_cq_events(raw, events)
    }
}
