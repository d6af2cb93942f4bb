import CIBVerbsShim

/// A protection domain (`struct ibv_pd`), deallocated (`ibv_dealloc_pd`) when the last
/// reference goes away; memory regions and queue pairs made in it keep it alive.
public final class ProtectionDomain: @unchecked Sendable {
    // @unchecked Sendable: the pointer is immutable and verbs calls are thread-safe.

    /// The C handle.
    public let raw: UnsafeMutablePointer<ibv_pd>
    /// The device it belongs to.
    public let context: VerbsContext

    init(raw: UnsafeMutablePointer<ibv_pd>, context: VerbsContext) {
        self.raw = raw
        self.context = context
    }

    deinit {
        ibv_dealloc_pd(raw)
    }

    /// Registers `length` bytes of this process's memory at `address` (`ibv_reg_mr`).
    public func registerMemory(address: UnsafeMutableRawPointer, length: Int, access: AccessFlags) throws(VerbsError) -> MemoryRegion {
        let mr = try VerbsCall.pointer("ibv_reg_mr", "registering \(length) bytes at \(address) on \(context.name)") {
            dmahost_rdma_ibv_reg_mr(raw, address, length, access.rawValue)
        }
        return MemoryRegion(raw: mr, owner: .protectionDomain(self))
    }

    /// True when the loaded libibverbs has `ibv_reg_dmabuf_mr` (rdma-core v34 and later).
    public static var dmaBufRegistrationAvailable: Bool { dmahost_rdma_ibv_has_reg_dmabuf_mr() != 0 }

    /// Registers `length` bytes at `offset` of the dma-buf `fd`, seen by the device at `iova`
    /// (`ibv_reg_dmabuf_mr`). The caller keeps `fd` open while the region exists.
    /// - Throws: ``VerbsError`` with EOPNOTSUPP when the provider cannot (rxe cannot), ENOSYS
    ///   when libibverbs lacks the function.
    public func registerDMABuf(fd: Int32, offset: UInt64, length: Int, iova: UInt64, access: AccessFlags) throws(VerbsError) -> MemoryRegion {
        let mr = try VerbsCall.pointer("ibv_reg_dmabuf_mr", "registering \(length) bytes of dma-buf fd \(fd) on \(context.name)") {
            dmahost_rdma_ibv_reg_dmabuf_mr(raw, offset, length, iova, fd, access.rawValue)
        }
        return MemoryRegion(raw: mr, owner: .protectionDomain(self))
    }

    /// Creates a queue pair (`ibv_create_qp`).
    public func createQueuePair(type: ibv_qp_type, sendQueue: CompletionQueue, receiveQueue: CompletionQueue,
                                capabilities: ibv_qp_cap) throws(VerbsError) -> QueuePair {
        var attributes = ibv_qp_init_attr()
        attributes.send_cq = sendQueue.raw
        attributes.recv_cq = receiveQueue.raw
        attributes.cap = capabilities
        attributes.qp_type = type
        attributes.sq_sig_all = 0
        let qp = try VerbsCall.pointer("ibv_create_qp", "creating a queue pair on \(context.name)") { ibv_create_qp(raw, &attributes) }
        return QueuePair(raw: qp, protectionDomain: self, sendQueue: sendQueue, receiveQueue: receiveQueue,
                         capabilities: attributes.cap)
    }
}

/// Memory access rights of a registration (`enum ibv_access_flags`).
public struct AccessFlags: OptionSet, Sendable {
    /// The `IBV_ACCESS_*` bits.
    public let rawValue: Int32
    /// Wraps `IBV_ACCESS_*` bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The device may write the memory locally (needed as the target of an RDMA READ).
    public static let localWrite = AccessFlags(rawValue: Int32(IBV_ACCESS_LOCAL_WRITE.rawValue))
    /// A peer may RDMA WRITE into the memory.
    public static let remoteWrite = AccessFlags(rawValue: Int32(IBV_ACCESS_REMOTE_WRITE.rawValue))
    /// A peer may RDMA READ the memory.
    public static let remoteRead = AccessFlags(rawValue: Int32(IBV_ACCESS_REMOTE_READ.rawValue))
    /// What the backend registers with: local write, remote read, remote write.
    public static let readWrite: AccessFlags = [.localWrite, .remoteRead, .remoteWrite]
}
