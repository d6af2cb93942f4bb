import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the backend needs to know about one RDMA device and its port, read with
/// `ibv_query_device`, `ibv_query_port` and `ibv_query_gid`.
public struct DeviceProfile: Sendable {
    /// Device name, e.g. "rxe0".
    public var name: String
    /// The port used (the first one, 1).
    public var port: UInt8
    /// Most scatter-gather entries per send request (`max_sge`).
    public var maxSGE: Int
    /// Most scatter-gather entries per RDMA READ (`max_sge_rd`, or `max_sge` when 0).
    public var maxSGERead: Int
    /// Largest message on the port (`max_msg_sz`).
    public var maxMessage: UInt64
    /// Largest memory region (`max_mr_size`).
    public var maxRegion: UInt64
    /// Most work requests per queue (`max_qp_wr`).
    public var maxQueuePairRequests: Int
    /// Most RDMA READs in flight per queue pair, as initiator and as responder.
    public var maxReadsInFlight: Int
    /// Port state (`IBV_PORT_ACTIVE` when usable).
    public var portState: ibv_port_state
    /// Active MTU of the port.
    public var activeMTU: ibv_mtu
    /// Link layer (`IBV_LINK_LAYER_ETHERNET` for RoCE, `IBV_LINK_LAYER_INFINIBAND`).
    public var linkLayer: UInt8
    /// The port's LID (InfiniBand link layer).
    public var lid: UInt16
    /// GID index used for the loopback connection, nil when the port has no usable GID.
    public var gidIndex: Int32?
    /// That GID as text, e.g. "::ffff:127.0.0.1".
    public var gidText: String?

    /// Reads the profile of an open device.
    /// - Parameter preferredGID: A GID index to use (environment `DMAHOST_RDMA_GID_INDEX`);
    ///   otherwise the first IPv4-mapped GID (RoCE v2 on rxe: index 1, `::ffff:127.0.0.1`),
    ///   else the first non-zero one.
    public init(context: VerbsContext, port: UInt8 = 1, preferredGID: Int32? = nil) throws(VerbsError) {
        let device = try context.queryDevice()
        let portAttributes = try context.queryPort(port)
        name = context.name
        self.port = port
        maxSGE = Int(max(device.max_sge, 1))
        maxSGERead = Int(device.max_sge_rd > 0 ? device.max_sge_rd : device.max_sge)
        maxMessage = UInt64(portAttributes.max_msg_sz)
        maxRegion = device.max_mr_size
        maxQueuePairRequests = Int(device.max_qp_wr)
        maxReadsInFlight = Int(max(1, min(device.max_qp_rd_atom, device.max_qp_init_rd_atom)))
        portState = portAttributes.state
        activeMTU = portAttributes.active_mtu
        linkLayer = portAttributes.link_layer
        lid = portAttributes.lid
        var chosen: (Int32, ibv_gid)?
        if let preferredGID {
            chosen = (preferredGID, try context.queryGID(port: port, index: preferredGID))
        } else {
            var firstNonZero: (Int32, ibv_gid)?
            for index in 0..<max(portAttributes.gid_tbl_len, 0) {
                guard let gid = try? context.queryGID(port: port, index: index), !Self.isZero(gid) else { continue }
                if firstNonZero == nil { firstNonZero = (index, gid) }
                if Self.isIPv4Mapped(gid) {
                    chosen = (index, gid)
                    break
                }
            }
            chosen = chosen ?? firstNonZero
        }
        gidIndex = chosen?.0
        gidText = chosen.map { Self.text(of: $0.1) }
    }

    /// True for the RoCE link layer (addressing needs a GRH with a GID).
    public var isEthernet: Bool { linkLayer == UInt8(IBV_LINK_LAYER_ETHERNET) }

    /// Human-readable port state.
    public var portStateName: String { ibv_port_state_str(portState).map { String(cString: $0) } ?? "state \(portState.rawValue)" }

    /// Active MTU in bytes.
    public var mtuBytes: Int { 128 << Int(activeMTU.rawValue) }

    static func bytes(of gid: ibv_gid) -> [UInt8] {
        withUnsafeBytes(of: gid.raw) { Array($0) }
    }

    static func isZero(_ gid: ibv_gid) -> Bool { bytes(of: gid).allSatisfy { $0 == 0 } }

    static func isIPv4Mapped(_ gid: ibv_gid) -> Bool {
        let b = bytes(of: gid)
        return b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xff && b[11] == 0xff
    }

    static func text(of gid: ibv_gid) -> String {
        var raw = gid.raw
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = withUnsafePointer(to: &raw) { inet_ntop(AF_INET6, $0, &buffer, socklen_t(buffer.count)) } != nil
        guard ok else { return bytes(of: gid).map { String($0, radix: 16) }.joined(separator: ":") }
        return buffer.withUnsafeBufferPointer { pointer in
            String(decoding: UnsafeRawBufferPointer(pointer).prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
