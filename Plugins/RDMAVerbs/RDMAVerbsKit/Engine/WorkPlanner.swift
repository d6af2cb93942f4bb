/// A buffer with the key that makes it reachable: an lkey for local buffers, an rkey for the
/// remote (domain) side.
public struct KeyedSegment: Equatable, Sendable {
    /// Start address (host virtual address).
    public var address: UInt64
    /// Length in bytes.
    public var length: UInt64
    /// lkey or rkey of a registration that covers the whole segment.
    public var key: UInt32

    /// Creates a segment.
    public init(address: UInt64, length: UInt64, key: UInt32) {
        self.address = address
        self.length = length
        self.key = key
    }
}

/// One local scatter-gather entry of a work request (an `ibv_sge`).
public struct LocalSGE: Equatable, Sendable {
    /// Local address.
    public var address: UInt64
    /// Length in bytes (at most the port's largest message).
    public var length: UInt32
    /// lkey of the registration covering it.
    public var lkey: UInt32
}

/// One RDMA READ or WRITE: a contiguous remote range and the local entries it moves from or to.
public struct PlannedRequest: Equatable, Sendable {
    /// Remote start address.
    public var remoteAddress: UInt64
    /// rkey of the remote registration.
    public var rkey: UInt32
    /// Total bytes (the sum of its local entries).
    public var length: UInt64
    /// Index of the first local entry in ``WorkPlan/sges``.
    public var firstSGE: Int
    /// Number of local entries (1 ... the device's max_sge).
    public var sgeCount: Int
}

/// How an operation's scatter-gather lists become work requests.
public struct WorkPlan: Equatable, Sendable {
    /// The work requests, in order.
    public var requests: [PlannedRequest] = []
    /// The local entries of all requests, in order.
    public var sges: [LocalSGE] = []
    /// Bytes the plan moves (the total of the remote side).
    public var totalBytes: UInt64 = 0
}

/// Splits an operation into RDMA work requests (pure; no verbs calls).
///
/// Each remote segment is cut into requests of at most `maxMessage` bytes; each request takes
/// at most `maxSGE` local entries, cut wherever a local buffer ends. Both lists are walked in
/// order; zero-length segments are skipped. Both sides must hold the same number of bytes
/// (the contract of `dmahost/iovec.h`): the plan moves all of them, never fewer.
public enum WorkPlanner {
    /// Why a plan cannot be made.
    public enum Failure: Error, Equatable, Sendable {
        /// The two sides hold different numbers of bytes (or a side's total overflows:
        /// reported as `UInt64.max`).
        case lengthMismatch(local: UInt64, remote: UInt64)
        /// Both sides are empty: a completion with 0 would claim that bytes moved.
        case nothingToMove
        /// A limit is zero.
        case invalidLimits
    }

    /// Plans the work requests of one operation.
    /// - Parameters:
    ///   - remote: Domain-side buffers with their rkeys (the source of a READ, the target of a WRITE).
    ///   - local: Local buffers with their lkeys.
    ///   - maxSGE: Most local entries per request (device `max_sge`, or `max_sge_rd` for READ).
    ///   - maxMessage: Most bytes per request (port `max_msg_sz`), at most `UInt32.max`.
    ///   Any random-access collections with integer indices (arrays, or slices of one array).
    public static func plan<Remote: RandomAccessCollection<KeyedSegment>, Local: RandomAccessCollection<KeyedSegment>>(
        remote: Remote, local: Local, maxSGE: Int, maxMessage: UInt64
    ) throws(Failure) -> WorkPlan where Remote.Index == Int, Local.Index == Int {
        guard maxSGE > 0, maxMessage > 0 else { throw .invalidLimits }
        let messageLimit = min(maxMessage, UInt64(UInt32.max))
        let remoteTotal = total(remote), localTotal = total(local)
        guard localTotal == remoteTotal, remoteTotal != .max else { throw .lengthMismatch(local: localTotal, remote: remoteTotal) }
        guard remoteTotal > 0 else { throw .nothingToMove }

        var plan = WorkPlan()
        plan.totalBytes = remoteTotal
        plan.requests.reserveCapacity(remote.count)
        plan.sges.reserveCapacity(local.count)
        var localIndex = local.startIndex
        var localOffset: UInt64 = 0
        for segment in remote where segment.length > 0 {
            var remoteOffset: UInt64 = 0
            while remoteOffset < segment.length {
                let limit = min(segment.length - remoteOffset, messageLimit)
                var request = PlannedRequest(remoteAddress: segment.address + remoteOffset, rkey: segment.key,
                                             length: 0, firstSGE: plan.sges.count, sgeCount: 0)
                while request.length < limit, request.sgeCount < maxSGE {
                    // Skip exhausted or empty local buffers (localTotal == remoteTotal: one remains).
                    while localIndex < local.endIndex, local[localIndex].length - localOffset == 0 {
                        localIndex += 1
                        localOffset = 0
                    }
                    guard localIndex < local.endIndex else { throw .lengthMismatch(local: localTotal, remote: remoteTotal) }
                    let buffer = local[localIndex]
                    let take = min(buffer.length - localOffset, limit - request.length)
                    plan.sges.append(LocalSGE(address: buffer.address + localOffset, length: UInt32(take), lkey: buffer.key))
                    request.length += take
                    request.sgeCount += 1
                    localOffset += take
                }
                plan.requests.append(request)
                remoteOffset += request.length
            }
        }
        return plan
    }

    /// The bytes of a side; `UInt64.max` when the sum overflows.
    private static func total<Side: RandomAccessCollection<KeyedSegment>>(_ side: Side) -> UInt64 {
        var sum: UInt64 = 0
        for segment in side {
            let (next, overflow) = sum.addingReportingOverflow(segment.length)
            if overflow { return .max }
            sum = next
        }
        return sum
    }
}
