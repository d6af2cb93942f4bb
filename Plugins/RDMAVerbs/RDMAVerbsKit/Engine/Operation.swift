import CDMAHostABI
import CIBVerbsShim

/// Who is told, exactly once, that an operation ended, and with which value (0 or -errno).
public enum OperationCompletion: @unchecked Sendable {
    // @unchecked Sendable: the C argument is the caller's opaque token; the plugin ABI hands it
    // back on a thread of the plugin's choosing, which is what it was given for.

    /// A C completion callback and its argument (`spdk_memory_domain_data_cpl_cb`).
    case callback(spdk_memory_domain_data_cpl_cb, UnsafeMutableRawPointer?)
    /// A Swift closure.
    case closure(@Sendable (Int32) -> Void)

    /// Calls the callback or closure.
    func deliver(_ status: Int32) {
        switch self {
        case .callback(let callback, let argument): callback(argument, status)
        case .closure(let closure): closure(status)
        }
    }
}

/// RDMA READ (pull: domain → local) or RDMA WRITE (push/transfer: local → domain).
public enum OperationKind: Sendable {
    /// RDMA READ from the remote side into local buffers.
    case read
    /// RDMA WRITE from local buffers to the remote side.
    case write

    var opcode: ibv_wr_opcode { self == .read ? IBV_WR_RDMA_READ : IBV_WR_RDMA_WRITE }
}

/// One pull, push or transfer in the engine: its work requests, how many are posted and in
/// flight, its status, the registrations it holds and whom to tell when it ends.
final class Operation: @unchecked Sendable {
    // @unchecked Sendable: the mutable fields are only touched with the engine's state mutex
    // held (submission, completion processing, recovery, close).

    let kind: OperationKind
    let plan: WorkPlan
    let leases: [RegionLease]
    /// Regions registered for this operation alone, deregistered when it is dropped.
    let regions: [MemoryRegion]
    let completion: OperationCompletion

    /// Index of the next request of `plan` to post.
    var nextRequest = 0
    /// Requests posted and not yet completed.
    var inFlight = 0
    /// 0, or the first real error (see ``CompletionStatus/merge(_:_:)``).
    var status: Int32 = 0
    /// Set once, when the operation is handed over for delivery.
    var finished = false

    init(kind: OperationKind, plan: WorkPlan, leases: [RegionLease], regions: [MemoryRegion] = [], completion: OperationCompletion) {
        self.kind = kind
        self.plan = plan
        self.leases = leases
        self.regions = regions
        self.completion = completion
    }

    /// Every request has been posted.
    var fullyPosted: Bool { nextRequest == plan.requests.count }

    /// Nothing of it is in flight and nothing more will be posted.
    var done: Bool { inFlight == 0 && (fullyPosted || status != 0) }
}
