import DMASync
import CIBVerbsShim
import DMADriverKit
import RegistrationCache
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Moves data with RDMA READ and WRITE over one device's loopback queue-pair pair.
///
/// - **Submission** (any thread): an operation is planned into work requests
///   (``WorkPlanner``) and queued; when few requests are in flight, as many as there are free
///   slots (the send-queue depth) are posted at once in one `ibv_post_send` chain, otherwise
///   the completion thread posts them after its next completion, together with everything
///   else that queued. Operations beyond the slots wait in a bounded queue; when that is full,
///   submission returns -EAGAIN and nothing is started. Requests are signaled selectively
///   (see `RDMAEngine+Posting.swift`).
/// - **Completions** (one thread per device, ``startCompletionThread()``): the thread sleeps in
///   `poll(2)` on the completion channel, drains the completion queue, posts waiting requests
///   into the freed slots, and calls each operation's completion exactly once, on itself,
///   with no lock held (so a callback may submit again).
/// - **Errors**: a failed request moves the queue pair to the error state; its operation
///   reports the mapped errno (``CompletionStatus``), requests flushed behind it report
///   -ECANCELED, and once nothing is in flight the thread resets and reconnects both queue
///   pairs (``LoopbackPair/connect()``) and carries on with the waiting operations.
public final class RDMAEngine: Sendable {
    /// The device's limits and addressing.
    public let profile: DeviceProfile
    /// Tunables in effect.
    public let configuration: EngineConfiguration
    /// The open device.
    let context: VerbsContext
    /// The backend's protection domain (its `ibv_pd` is in the domains' user context).
    let protectionDomain: ProtectionDomain
    /// Memory registrations (lkey/rkey) of this device.
    let registrations: Registrations
    let channel: CompletionChannel
    let completionQueue: CompletionQueue
    let idleQueue: CompletionQueue
    let pair: LoopbackPair
    let wakeup: WakeupPipe
    let state: Locked<EngineState>
    let thread = Locked<POSIXThread?>(nil)
    /// Result of the dma-buf registration attempts (see ``registerDMABuf(fd:offset:length:cpuMapping:)``).
    let dmaBufStatus = Locked<DMABufStatus>(.untried)
    /// The scratch region and placeholder operation of fences (see `RDMAEngine+Posting.swift`).
    let fence: Fence
    /// Most local entries per WRITE and per READ request.
    let maxSGE: Int
    let maxSGERead: Int

    /// Opens the resources of a device: protection domain, completion channel and queues,
    /// the connected loopback pair. Call ``startCompletionThread()`` before submitting.
    public init(context: VerbsContext, configuration: EngineConfiguration = .fromEnvironment()) throws(VerbsError) {
        self.context = context
        self.configuration = configuration
        profile = try DeviceProfile(context: context, preferredGID: configuration.gidIndex)
        guard profile.portState == IBV_PORT_ACTIVE else {
            throw VerbsError(function: "ibv_query_port", errno: ENETDOWN,
                             context: "port \(profile.port) of \(profile.name) is \(profile.portStateName), not ACTIVE (is its netdev up?)")
        }
        protectionDomain = try context.allocateProtectionDomain()
        registrations = Registrations(protectionDomain: protectionDomain, limit: configuration.registrationLimit,
                                      regionLimit: configuration.registrationRegionLimit,
                                      monitorStatus: MemoryMonitor.status(for: configuration.monitor))
        let depth = max(1, min(configuration.queueDepth, profile.maxQueuePairRequests))
        let sge = max(1, min(profile.maxSGE, 32))
        channel = try context.createCompletionChannel()
        completionQueue = try context.createCompletionQueue(entries: Int32(depth + 16), channel: channel)
        idleQueue = try context.createCompletionQueue(entries: 4, channel: nil)
        pair = try LoopbackPair(protectionDomain: protectionDomain, completionQueue: completionQueue, idleQueue: idleQueue,
                                profile: profile, sendDepth: depth, sendSGE: sge)
        let granted = pair.initiator.capabilities
        let slots = max(1, min(depth, Int(granted.max_send_wr)))
        maxSGE = max(1, min(sge, Int(granted.max_send_sge)))
        maxSGERead = max(1, min(maxSGE, profile.maxSGERead))
        fence = try Fence(protectionDomain: protectionDomain)
        wakeup = try WakeupPipe()
        state = Locked(EngineState(slots: slots, maxSGE: maxSGE))
        try completionQueue.requestNotification()
    }

    /// Starts the completion thread. Call once, after init.
    public func startCompletionThread() throws(VerbsError) {
        let name = "rdma-\(profile.name)"
        let worker: POSIXThread
        do throws(ThreadStartError) {
            worker = try POSIXThread(name: name) { [self] in completionLoop() }
        } catch {
            throw VerbsError(function: "pthread_create", errno: error.errno, context: "starting thread \(name)")
        }
        thread.withLock { $0 = worker }
    }

    /// The `ibv_pd` of the backend (what the domains' `spdk_memory_domain_rdma_ctx` carries).
    public var protectionDomainHandle: UnsafeMutableRawPointer { UnsafeMutableRawPointer(protectionDomain.raw) }

    /// Work-request slots (the queue depth in effect).
    public var queueDepth: Int { state.withLock { $0.slots.count } }

    /// Counters so far.
    public var counters: EngineCounters { state.withLock { $0.counters } }

    /// Registration cache counters (with what the memory monitor invalidated).
    public var registrationStatistics: RegistrationStatistics { registrations.statistics }

    /// What keeps the registration cache true to the memory mapped at its addresses.
    public var registrationMonitor: MonitorStatus { registrations.monitorStatus }

    /// Limits of the registration cache in effect: bytes and regions.
    public var registrationLimits: (bytes: UInt, regions: Int) { (registrations.limit, registrations.regionLimit) }

    /// Queue-pair phase in words, for diagnosis.
    public var phaseDescription: String {
        state.withLock { state in
            switch state.phase {
            case .ready: "ready"
            case .draining: "draining after an error"
            case .recovering: "recovering"
            case .failed(let reason): "failed: \(reason)"
            }
        }
    }

    /// Queues an operation and posts what fits.
    /// - Returns: 0 when accepted (its completion will be delivered exactly once); -EAGAIN when
    ///   the queue is full, -ECANCELED when the device is closing, -EIO when the queue pair
    ///   could not be recovered: then the completion is never delivered.
    func submit(_ operation: Operation) -> Int32 {
        let (rc, wake) = state.withLock { state -> (Int32, Bool) in
            if state.closing { return (-ECANCELED, false) }
            if case .failed = state.phase { return (-EIO, false) }
            if state.queue.count >= configuration.maxQueuedOperations {
                state.counters.refusedBusy += 1
                return (-EAGAIN, false)
            }
            state.counters.submitted += 1
            if operation.plan.requests.isEmpty {
                state.finish(operation)
                return (0, true)
            }
            state.queue.append(operation)
            // Post at once only when few requests are in flight. Otherwise the send queue is busy
            // for a while and the operation only queues: the completion thread posts what queued
            // in one chain after its next completion (one doorbell for many requests). The same
            // holds for completion callbacks that submit again, on the completion thread.
            if state.phase == .ready, !state.deferringPosts, state.outstanding < directPostLimit(slots: state.slots.count) {
                postQueued(&state)
            }
            return (0, !state.finished.isEmpty || state.phase == .draining && state.outstanding == 0)
        }
        if wake { wakeup.signal() }
        return rc
    }

    /// Below this many requests in flight a submission posts at once
    /// (``EngineConfiguration/directPostQuarters`` quarters of the slots; at least 1).
    func directPostLimit(slots: Int) -> Int { max(1, slots * configuration.directPostQuarters / 4) }

    /// Stops accepting operations, cancels queued ones (-ECANCELED), waits for the requests in
    /// flight (flushing them after ``EngineConfiguration/closeGraceSeconds``), stops the
    /// completion thread after it delivered every completion, and deregisters all memory.
    /// Resources are released when the last reference to the engine goes away.
    public func close() {
        state.withLock { state in
            state.closing = true
            state.abandonQueue(status: -ECANCELED)
        }
        wakeup.signal()
        let worker = thread.withLock { current -> POSIXThread? in
            let worker = current
            current = nil
            return worker
        }
        worker?.join()
        if worker == nil { deliverFinished() }
        registrations.removeAll()
    }
}

/// What the backend knows about registering dma-bufs on a device.
public enum DMABufStatus: Sendable, Equatable {
    /// No dma-buf was registered yet.
    case untried
    /// `ibv_reg_dmabuf_mr` works.
    case supported
    /// It failed with this errno; CPU mappings are registered instead.
    case fallback(errno: Int32, reason: String)
}

/// What a fence needs: a registered 64-byte scratch area (the 8-byte write goes from its start
/// to its second half) and the placeholder operation its slot points to.
struct Fence: Sendable {
    let region: MemoryRegion
    let operation: Operation
    private let scratch: ScratchPage

    init(protectionDomain: ProtectionDomain) throws(VerbsError) {
        scratch = ScratchPage()
        region = try protectionDomain.registerMemory(address: scratch.base, length: 64, access: Registrations.access)
        operation = Operation(kind: .write, plan: WorkPlan(), leases: [], completion: .closure { _ in })
    }
}

/// One page of memory owned for the life of an engine.
final class ScratchPage: @unchecked Sendable {
    // @unchecked Sendable: only the device reads and writes it.
    let base: UnsafeMutableRawPointer

    init() {
        base = UnsafeMutableRawPointer.allocate(byteCount: PageSize.bytes, alignment: PageSize.bytes)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: PageSize.bytes)
    }

    deinit { base.deallocate() }
}
