import CIBVerbsShim

/// A queue pair (`struct ibv_qp`), destroyed (`ibv_destroy_qp`) when the last reference goes
/// away. It keeps its protection domain and completion queues alive.
public final class QueuePair: @unchecked Sendable {
    // @unchecked Sendable: the pointer is immutable; verbs calls are thread-safe, and the
    // engine serialises posting and state changes under its own lock.

    /// The C handle.
    public let raw: UnsafeMutablePointer<ibv_qp>
    /// The protection domain the queue pair was created in.
    public let protectionDomain: ProtectionDomain
    /// The limits the provider granted (at least those requested).
    public let capabilities: ibv_qp_cap
    private let sendQueue: CompletionQueue
    private let receiveQueue: CompletionQueue

    init(raw: UnsafeMutablePointer<ibv_qp>, protectionDomain: ProtectionDomain, sendQueue: CompletionQueue,
         receiveQueue: CompletionQueue, capabilities: ibv_qp_cap) {
        self.raw = raw
        self.protectionDomain = protectionDomain
        self.sendQueue = sendQueue
        self.receiveQueue = receiveQueue
        self.capabilities = capabilities
    }

    deinit {
        ibv_destroy_qp(raw)
    }

    /// The queue pair number peers address.
    public var number: UInt32 { raw.pointee.qp_num }

    /// Changes attributes and state (`ibv_modify_qp`).
    /// - Parameter mask: The `IBV_QP_*` bits saying which fields of `attributes` apply.
    public func modify(_ attributes: ibv_qp_attr, mask: [ibv_qp_attr_mask], _ what: @autoclosure () -> String) throws(VerbsError) {
        var attributes = attributes
        let bits = mask.reduce(UInt32(0)) { $0 | $1.rawValue }
        try VerbsCall.check("ibv_modify_qp", "\(what()) (qp \(number))") {
            ibv_modify_qp(raw, &attributes, Int32(bitPattern: bits))
        }
    }

    /// The current state (`ibv_query_qp`).
    public func state() throws(VerbsError) -> ibv_qp_state {
        var attributes = ibv_qp_attr()
        var initAttributes = ibv_qp_init_attr()
        try VerbsCall.check("ibv_query_qp", "querying the state of qp \(number)") {
            ibv_query_qp(raw, &attributes, Int32(bitPattern: IBV_QP_STATE.rawValue), &initAttributes)
        }
        return attributes.qp_state
    }

    /// Posts a chain of send work requests linked through `next` (`ibv_post_send`).
    /// - Throws: ``PostFailure``: the error and the first request that was not posted (it and
    ///   every request after it in the chain were not posted).
    public func post(_ chain: UnsafeMutablePointer<ibv_send_wr>) throws(PostFailure) {
        var bad: UnsafeMutablePointer<ibv_send_wr>?
        do throws(VerbsError) {
            try VerbsCall.check("ibv_post_send", "posting to qp \(number)") { dmahost_rdma_ibv_post_send(raw, chain, &bad) }
        } catch {
            throw PostFailure(error: error, firstNotPosted: bad ?? chain)
        }
    }

    /// Why ``post(_:)`` failed and where the chain stopped.
    public struct PostFailure: Error, @unchecked Sendable {
        // @unchecked Sendable: `firstNotPosted` points into the poster's own chain and is only
        // read by the poster, synchronously, under the lock it posted with.
        /// The error `ibv_post_send` reported.
        public let error: VerbsError
        /// The first work request of the chain that was not posted.
        public let firstNotPosted: UnsafeMutablePointer<ibv_send_wr>
    }
}
