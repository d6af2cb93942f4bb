import CIBVerbsShim

/// A registered memory region (`struct ibv_mr`), deregistered (`ibv_dereg_mr`) when the last
/// reference goes away. It keeps its protection domain alive.
public final class MemoryRegion: @unchecked Sendable {
    // @unchecked Sendable: the pointer and keys are immutable after registration.

    /// What keeps the region's protection domain alive: our own domain object, or nothing
    /// when the domain belongs to someone else (a caller's `ibv_pd`, which outlives the region
    /// by the caller's contract).
    enum Owner {
        case protectionDomain(ProtectionDomain)
        case foreign
    }

    /// The C handle.
    public let raw: UnsafeMutablePointer<ibv_mr>
    /// Local key, for scatter-gather entries posted by this side.
    public let lkey: UInt32
    /// Remote key, for a peer's RDMA READ/WRITE.
    public let rkey: UInt32
    /// First registered address.
    public let address: UInt
    /// Registered length in bytes.
    public let length: Int
    private let owner: Owner

    init(raw: UnsafeMutablePointer<ibv_mr>, owner: Owner) {
        self.raw = raw
        self.owner = owner
        lkey = raw.pointee.lkey
        rkey = raw.pointee.rkey
        address = UInt(bitPattern: raw.pointee.addr)
        length = raw.pointee.length
    }

    deinit {
        ibv_dereg_mr(raw)
    }

    /// Registers memory in a protection domain the backend does not own (`ibv_reg_mr`), e.g. the
    /// `ibv_pd` of a caller's queue pair named in a translation context.
    static func register(inForeign pd: UnsafeMutablePointer<ibv_pd>, address: UnsafeMutableRawPointer, length: Int,
                         access: AccessFlags) throws(VerbsError) -> MemoryRegion {
        let mr = try VerbsCall.pointer("ibv_reg_mr", "registering \(length) bytes at \(address) in caller protection domain \(pd)") {
            dmahost_rdma_ibv_reg_mr(pd, address, length, access.rawValue)
        }
        return MemoryRegion(raw: mr, owner: .foreign)
    }
}
