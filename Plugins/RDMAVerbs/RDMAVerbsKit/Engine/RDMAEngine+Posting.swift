import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Posting work requests, and retiring them as completions arrive.
///
/// Selective signaling (rxe spends much of its time per completion): a request asks for a
/// completion only when it must. A send queue completes in order, so a successful completion
/// retires every request posted before it as well, and a request that fails (or is flushed)
/// produces a completion of its own, signaled or not. The rules:
/// - a request posted while nothing is in flight is signaled, and so is at least every
///   ``signalInterval``-th one (16, or a quarter of the queue depth), so slots come back;
/// - otherwise it may stay unsignaled: an earlier request in flight will produce a completion;
/// - the last request of a chain the completion thread posts (resubmissions made by the
///   callbacks it delivered) is signaled;
/// - whenever the completion thread is done with a batch and the last posted request is
///   still unsignaled (posted directly by a submitting thread), it posts a *fence*: an 8-byte
///   RDMA WRITE within a scratch buffer, signaled, whose completion retires everything before
///   it. So every request is retired, and a busy queue needs about one completion per batch
///   instead of one per request.
extension RDMAEngine {
    /// Most consecutive unsignaled requests.
    func signalInterval(slots: Int) -> Int { max(1, min(configuration.signalInterval, slots / 4)) }

    /// Posts requests of queued operations into free slots, as one chain. Called with the state
    /// mutex held, only in phase `.ready`. The completion thread passes `signalTail: true`: it
    /// signals the chain's last request itself, since it would otherwise post a fence for it
    /// before it sleeps (an extra request per batch).
    func postQueued(_ state: inout EngineState, signalTail: Bool = false) {
        var count = 0
        var sgeCursor = 0
        let interval = signalInterval(slots: state.slots.count)
        let idleBefore = state.outstanding == 0
        while let operation = state.queue.first, !state.freeSlots.isEmpty {
            if operation.status != 0 || operation.fullyPosted {
                state.queue.popFirst()
                if operation.done { state.finish(operation) }
                continue
            }
            let request = operation.plan.requests[operation.nextRequest]
            guard sgeCursor + request.sgeCount <= state.sgeCapacity, let slot = state.freeSlots.popLast() else { break }
            state.slots[slot] = operation
            let wr = state.requests + count
            wr.pointee = ibv_send_wr()
            wr.pointee.wr_id = UInt64(slot)
            wr.pointee.sg_list = state.sges + sgeCursor
            wr.pointee.num_sge = Int32(request.sgeCount)
            wr.pointee.opcode = operation.kind.opcode
            wr.pointee.wr.rdma.remote_addr = request.remoteAddress
            wr.pointee.wr.rdma.rkey = request.rkey
            for index in 0..<request.sgeCount {
                let sge = operation.plan.sges[request.firstSGE + index]
                state.sges[sgeCursor + index] = ibv_sge(addr: sge.address, length: sge.length, lkey: sge.lkey)
            }
            if count > 0 { state.requests[count - 1].next = wr }
            state.posted.append(slot)
            sgeCursor += request.sgeCount
            count += 1
            operation.nextRequest += 1
            operation.inFlight += 1
            state.outstanding += 1
            if operation.fullyPosted { state.queue.popFirst() }
        }
        guard count > 0 else { return }
        for index in 0..<count {
            state.unsignaledRun += 1
            let last = index == count - 1
            if state.unsignaledRun >= interval || (last && (idleBefore || signalTail)) {
                state.requests[index].send_flags = IBV_SEND_SIGNALED.rawValue
                state.unsignaledRun = 0
            }
        }
        post(count: count, state: &state)
    }

    /// Posts a fence when the last posted request is unsignaled (see the type's comment).
    /// Called with the state mutex held, by the completion thread before it sleeps.
    func signalTail(_ state: inout EngineState) {
        guard state.phase == .ready, state.outstanding > 0, state.unsignaledRun > 0,
              let slot = state.freeSlots.popLast() else { return }
        state.slots[slot] = fence.operation
        state.posted.append(slot)
        state.outstanding += 1
        let wr = state.requests
        wr.pointee = ibv_send_wr()
        wr.pointee.wr_id = UInt64(slot)
        wr.pointee.sg_list = state.sges
        wr.pointee.num_sge = 1
        wr.pointee.opcode = IBV_WR_RDMA_WRITE
        wr.pointee.send_flags = IBV_SEND_SIGNALED.rawValue
        wr.pointee.wr.rdma.remote_addr = UInt64(fence.region.address) + 32
        wr.pointee.wr.rdma.rkey = fence.region.rkey
        state.sges.pointee = ibv_sge(addr: UInt64(fence.region.address), length: 8, lkey: fence.region.lkey)
        state.unsignaledRun = 0
        state.counters.fences += 1
        post(count: 1, state: &state)
    }

    /// `ibv_post_send` of the first `count` built requests; on failure, ends what was not
    /// posted and starts recovery.
    private func post(count: Int, state: inout EngineState) {
        do throws(QueuePair.PostFailure) {
            try pair.initiator.post(state.requests)
            state.counters.posted += UInt64(count)
        } catch {
            let firstFailed = error.firstNotPosted - state.requests
            let failedIndex = (0..<count).contains(firstFailed) ? firstFailed : 0
            state.counters.posted += UInt64(failedIndex)
            state.posted.removeLast(count - failedIndex)
            for index in failedIndex..<count {
                let slot = Int(state.requests[index].wr_id)
                guard let operation = state.slots[slot] else { continue }
                state.slots[slot] = nil
                state.freeSlots.append(slot)
                state.outstanding -= 1
                if operation === fence.operation { continue }
                operation.inFlight -= 1
                operation.status = CompletionStatus.merge(operation.status, -error.error.errno)
                if operation.done { state.finish(operation) }
            }
            Self.log("\(profile.name): \(error.error); recovering the queue pair")
            // What was posted may end unsignaled: move the queue pair to the error state so that
            // every posted request completes (flushed), then recover once none is in flight.
            do throws(VerbsError) { try pair.flush() } catch { Self.log("\(profile.name): \(error)") }
            state.phase = .draining
        }
    }

    /// Applies one work completion: retires every request posted before it (completed
    /// successfully, in order) and then the request it names.
    func apply(_ completion: ibv_wc, to state: inout EngineState) {
        let slot = Int(truncatingIfNeeded: completion.wr_id)
        guard state.slots.indices.contains(slot), state.slots[slot] != nil, state.posted.contains(slot) else {
            Self.log("\(profile.name): completion for unknown work request \(completion.wr_id) ignored")
            return
        }
        while let earlier = state.posted.removeFirst(), earlier != slot {
            retire(earlier, status: IBV_WC_SUCCESS, vendorError: 0, in: &state)
        }
        retire(slot, status: completion.status, vendorError: completion.vendor_err, in: &state)
    }

    /// Frees a request's slot and updates its operation.
    private func retire(_ slot: Int, status: ibv_wc_status, vendorError: UInt32, in state: inout EngineState) {
        guard let operation = state.slots[slot] else { return }
        state.slots[slot] = nil
        state.freeSlots.append(slot)
        state.outstanding -= 1
        let isFence = operation === fence.operation
        if !isFence { operation.inFlight -= 1 }
        if status != IBV_WC_SUCCESS {
            let code = CompletionStatus.errno(for: status)
            if status == IBV_WC_WR_FLUSH_ERR {
                // Not necessarily caused by another request: rxe flushes even the request that
                // failed a requester-side check, without reporting a cause.
                state.counters.flushed += 1
                if state.phase == .ready {
                    Self.log("\(profile.name): the queue pair entered the error state without a reported cause (requests are flushed); recovering it")
                }
            } else {
                state.counters.errorCompletions += 1
                Self.log("\(profile.name): RDMA \(operation.kind == .read ? "READ" : "WRITE") failed: \(CompletionStatus.name(of: status)) (vendor error \(vendorError)); the operation reports \(code), the queue pair is being recovered")
            }
            if !isFence { operation.status = CompletionStatus.merge(operation.status, code) }
            if state.phase == .ready { state.phase = .draining }
        }
        if !isFence, operation.done { state.finish(operation) }
    }
}
