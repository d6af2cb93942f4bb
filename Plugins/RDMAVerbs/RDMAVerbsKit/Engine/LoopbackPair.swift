import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Two reliable-connected queue pairs on the same device, connected to each other: the
/// backend posts RDMA READ/WRITE on the ``initiator``; the ``responder`` executes them against
/// memory registered in the same protection domain. On RoCE (rxe) the path goes through the
/// port's IPv4-mapped GID (`::ffff:127.0.0.1`, RoCE v2); on InfiniBand through the port LID.
final class LoopbackPair: Sendable {
    /// The queue pair work requests are posted on.
    let initiator: QueuePair
    /// Its peer; receives no work requests of its own.
    let responder: QueuePair
    private let profile: DeviceProfile
    private let readsInFlight: UInt8

    /// Creates both queue pairs (`ibv_create_qp`, type RC) and connects them (``connect()``).
    /// - Parameters:
    ///   - sendDepth: Work requests the initiator's send queue holds.
    ///   - sendSGE: Scatter-gather entries per work request.
    init(protectionDomain pd: ProtectionDomain, completionQueue cq: CompletionQueue, idleQueue: CompletionQueue,
         profile: DeviceProfile, sendDepth: Int, sendSGE: Int) throws(VerbsError) {
        guard profile.isEthernet == false || profile.gidIndex != nil else {
            throw VerbsError(function: "ibv_query_gid", errno: ENODEV,
                             context: "looking for a GID on \(profile.name) port \(profile.port) to connect the loopback queue pairs (add an IP address to the netdev, e.g. `ip link set lo up`)")
        }
        var capabilities = ibv_qp_cap()
        capabilities.max_send_wr = UInt32(sendDepth)
        capabilities.max_recv_wr = 1
        capabilities.max_send_sge = UInt32(sendSGE)
        capabilities.max_recv_sge = 1
        capabilities.max_inline_data = 0
        initiator = try pd.createQueuePair(type: IBV_QPT_RC, sendQueue: cq, receiveQueue: idleQueue, capabilities: capabilities)
        var idle = ibv_qp_cap()
        idle.max_send_wr = 1
        idle.max_recv_wr = 1
        idle.max_send_sge = 1
        idle.max_recv_sge = 1
        responder = try pd.createQueuePair(type: IBV_QPT_RC, sendQueue: idleQueue, receiveQueue: idleQueue, capabilities: idle)
        self.profile = profile
        readsInFlight = UInt8(clamping: profile.maxReadsInFlight)
        try connect()
    }

    /// Brings both queue pairs from any state to ready-to-send: RESET → INIT → RTR → RTS, each
    /// pointed at the other (`ibv_modify_qp`). Used at creation and to recover after an error.
    func connect() throws(VerbsError) {
        for qp in [initiator, responder] {
            var reset = ibv_qp_attr()
            reset.qp_state = IBV_QPS_RESET
            try qp.modify(reset, mask: [IBV_QP_STATE], "resetting the loopback queue pair")
        }
        for (qp, peer) in [(initiator, responder), (responder, initiator)] {
            var initial = ibv_qp_attr()
            initial.qp_state = IBV_QPS_INIT
            initial.pkey_index = 0
            initial.port_num = profile.port
            initial.qp_access_flags = UInt32(AccessFlags.readWrite.rawValue)
            try qp.modify(initial, mask: [IBV_QP_STATE, IBV_QP_PKEY_INDEX, IBV_QP_PORT, IBV_QP_ACCESS_FLAGS],
                          "moving the loopback queue pair to INIT")

            var rtr = ibv_qp_attr()
            rtr.qp_state = IBV_QPS_RTR
            rtr.path_mtu = profile.activeMTU
            rtr.dest_qp_num = peer.number
            rtr.rq_psn = 0
            rtr.max_dest_rd_atomic = readsInFlight
            rtr.min_rnr_timer = 12
            rtr.ah_attr.port_num = profile.port
            rtr.ah_attr.sl = 0
            if profile.isEthernet, let gidIndex = profile.gidIndex {
                rtr.ah_attr.is_global = 1
                rtr.ah_attr.grh.hop_limit = 1
                rtr.ah_attr.grh.sgid_index = UInt8(clamping: gidIndex)
                rtr.ah_attr.grh.dgid = try qp.protectionDomain.context.queryGID(port: profile.port, index: gidIndex)
            } else {
                rtr.ah_attr.dlid = profile.lid
            }
            try qp.modify(rtr, mask: [IBV_QP_STATE, IBV_QP_AV, IBV_QP_PATH_MTU, IBV_QP_DEST_QPN, IBV_QP_RQ_PSN,
                                      IBV_QP_MAX_DEST_RD_ATOMIC, IBV_QP_MIN_RNR_TIMER],
                          "moving the loopback queue pair to RTR")

            var rts = ibv_qp_attr()
            rts.qp_state = IBV_QPS_RTS
            rts.sq_psn = 0
            rts.timeout = 16 // 4.096 µs * 2^16 ≈ 268 ms per try: generous for soft-RoCE under emulation
            rts.retry_cnt = 7
            rts.rnr_retry = 7
            rts.max_rd_atomic = readsInFlight
            try qp.modify(rts, mask: [IBV_QP_STATE, IBV_QP_TIMEOUT, IBV_QP_RETRY_CNT, IBV_QP_RNR_RETRY, IBV_QP_SQ_PSN,
                                      IBV_QP_MAX_QP_RD_ATOMIC],
                          "moving the loopback queue pair to RTS")
        }
    }

    /// Moves both queue pairs to the error state, so that every posted request completes
    /// (flushed) — used when closing with requests still in flight.
    func flush() throws(VerbsError) {
        for qp in [initiator, responder] {
            var error = ibv_qp_attr()
            error.qp_state = IBV_QPS_ERR
            try qp.modify(error, mask: [IBV_QP_STATE], "moving the loopback queue pair to ERR")
        }
    }
}
