import CDMAHostABI
import DMADriverKit
@_spi(CABI) import DMAHost
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Drives one memory domain at a fixed queue depth by resubmitting from the completion
/// callback (as SPDK's bdevperf does): each completion immediately starts the next operation
/// of its slot, on the thread the device completes on. The runner thread only starts the
/// first operations, watches the clock and counters, retries slots the device refused with
/// -EAGAIN, and (for a CPU device in poll mode) polls completions.
///
/// Compared with ``DomainRunner`` (one submitting thread), no thread hand-off sits between a
/// completion and the next submission, and the benchmark adds no thread competing with the
/// device's own for CPUs. Operations, buffers, latency sampling and verification are the same.
struct ChainRunner {
    let target: RunTarget

    /// Callbacks nested deeper than this on one thread (a device completing another slot's
    /// operation inside a submitting call) park their slot for the runner instead of resubmitting.
    static let maximumNesting: Int32 = 4
    /// Operations of one slot completed during their own submitting call, one after the other
    /// on the submitting thread, before the slot is parked for the runner (so that a device
    /// that always completes synchronously still lets the runner watch the clock).
    static let maximumInline = 4
    /// A slot refused with -EAGAIN for this long fails the run.
    static let retryLimitNanoseconds: UInt64 = 10_000_000_000

    /// Runs for `warmup` seconds unmeasured, then `seconds` measured; reports progress about
    /// every 0.5 s.
    /// - Throws: The ``DMAError`` of the first operation that failed to start (other than
    ///   -EAGAIN) or completed with an error, once every operation has completed.
    func run(warmup: Double, seconds: Double, progress: ((BenchProgress) -> Void)?) throws(DMAError) -> DomainMeasurement {
        // Set when the run is abandoned while a thread may still be inside a slot: the samples,
        // the state and the records are then never freed.
        var keepMemory = false
        let samples = UnsafeMutablePointer<UInt64>.allocate(capacity: DomainRunner.maximumSamples)
        defer { if !keepMemory { samples.deallocate() } }
        let iovecStorage = target.iovecs > 1 ? UnsafeMutablePointer<iovec>.allocate(capacity: target.queueDepth * 2 * target.iovecs) : nil
        defer { if !keepMemory { iovecStorage?.deallocate() } }
        let state = ChainState(constants: ChainConstants(
            domain: target.domain, operation: target.operation, size: target.set.size, slots: Self.usableBuffers(target.set.slots, queueDepth: target.queueDepth), stride: target.set.stride,
            source: target.set.source, destination: target.set.destination, remote: target.remote?.base, samples: samples, sampleCapacity: DomainRunner.maximumSamples,
            queueDepth: target.queueDepth, readPercent: target.readPercent, iovecs: target.iovecs, iovecStorage: iovecStorage))
        defer { if !keepMemory { state.deallocate() } }
        let records = try ChainSlot.allocate(count: target.queueDepth, state: state)
        defer { if !keepMemory { ChainSlot.deallocate(records, count: target.queueDepth) } }
        func slot(_ index: Int) -> ChainSlot { ChainSlot(records + index * ChainSlot.stride) }
        func completedCount() -> Int {
            (0..<target.queueDepth).reduce(0) { $0 + slot($1).completions.pointee.load(ordering: .relaxed) }
        }

        state.outstanding.pointee.store(target.queueDepth, ordering: .releasing)
        for index in 0..<target.queueDepth {
            Self.startOrPark(slot(index), state: state, newSequence: true)
        }

        let pollMode = target.cpu?.pollMode ?? false
        let start = monotonicNanoseconds()
        let measureFrom = start + UInt64(warmup * 1e9)
        let measureUntil = measureFrom + UInt64(seconds * 1e9)
        var measuredFrom: (count: Int, time: UInt64)?
        var measured = Throughput(operations: 0, size: target.set.size, seconds: 0)
        var lastCheck = (count: 0, time: start)
        var lastProgress = start
        var refusedSince: UInt64 = 0
        // The last time the completion count moved (checked about every 100 ms): no completion
        // for the timeout while operations are outstanding means the device hung.
        var progressMark = (count: 0, time: start, checked: start)
        var abandoned: (expired: Int, completed: Int, since: UInt64)?

        while state.outstanding.pointee.load(ordering: .acquiring) > (abandoned?.expired ?? 0) {
            if pollMode {
                if target.cpu?.poll() == 0 { cpuRelax() }
            } else {
                // Sleep long (each wake-up costs the device's threads a CPU for a moment), but
                // briefly while slots wait for a retry or the run is ending.
                let busy = state.stopping.pointee.load(ordering: .relaxed) != 0 || state.parked.pointee.load(ordering: .relaxed) > 0
                usleep(busy ? 50 : 5_000)
            }
            let now = monotonicNanoseconds()
            if state.parked.pointee.load(ordering: .acquiring) > 0 {
                let refused = resubmitParked(state: state, slot: slot)
                if refused == 0 {
                    refusedSince = 0
                } else if refusedSince == 0 {
                    refusedSince = now
                } else if now - refusedSince > Self.retryLimitNanoseconds {
                    state.fail(-EAGAIN, sequence: -1)
                    abandonParked(state: state, slot: slot)
                }
            }
            if let abandoned {
                // Slots whose completion won against the expiry finish on their own; a thread
                // stuck inside a submitting call never does: give up on it after the timeout.
                if now - abandoned.since > target.timeoutNanoseconds { break }
                continue
            }
            if now - progressMark.checked >= 100_000_000 {
                let count = completedCount()
                if count != progressMark.count || state.parked.pointee.load(ordering: .relaxed) > 0 {
                    progressMark = (count, now, now)
                } else if now - progressMark.time > target.timeoutNanoseconds {
                    abandoned = (abandon(state: state, slot: slot), count, now)
                    continue
                } else {
                    progressMark.checked = now
                }
            }
            if state.stopping.pointee.load(ordering: .relaxed) != 0 || (pollMode && now - lastCheck.time < 200_000) { continue }

            let count = completedCount()
            let perOperation = Double(now - lastCheck.time) / Double(max(1, count - lastCheck.count))
            lastCheck = (count, now)
            // Time about 1% of the operations.
            let interval = max(1, Int((2 * Double(target.timerCost) / (0.01 * max(perOperation, 1))).rounded(.up)))
            state.sampleInterval.pointee.store(interval, ordering: .relaxed)
            if measuredFrom == nil && now >= measureFrom {
                measuredFrom = (count, now)
                state.measuring.pointee.store(1, ordering: .relaxed)
            } else if let from = measuredFrom, now >= measureUntil {
                measured = Throughput(operations: count - from.count, size: target.set.size, seconds: Double(now - from.time) / 1e9)
                state.measuring.pointee.store(0, ordering: .relaxed)
                state.stopping.pointee.store(1, ordering: .releasing)
            }
            if let progress, now - lastProgress >= 500_000_000 {
                lastProgress = now
                progress(BenchProgress(measuring: measuredFrom != nil, elapsed: Double(now - start) / 1e9,
                                       total: warmup + seconds, recentNanosecondsPerOperation: perOperation, size: target.set.size))
            }
        }

        if let abandoned {
            // A slot whose completion won the race may still be finishing; a late completion
            // never touches the records again (its token counts it), but keep everything when
            // some slot is still unaccounted for.
            if state.outstanding.pointee.load(ordering: .acquiring) > abandoned.expired { keepMemory = true }
            throw BenchTimeout.error(operation: target.operation, size: target.set.size, outstanding: abandoned.expired,
                                     queueDepth: target.queueDepth, completed: abandoned.completed,
                                     timeoutNanoseconds: target.timeoutNanoseconds)
        }
        let rc = Int32(truncatingIfNeeded: state.failure.pointee.load(ordering: .relaxed))
        if rc != 0 {
            let what = target.callName
            let sequence = state.failedSequence.pointee.load(ordering: .relaxed)
            throw DMAError(errno: rc, context: sequence < 0
                ? "\(what) of \(target.set.size) bytes: the device refused submissions (-EAGAIN) for \(Self.retryLimitNanoseconds / 1_000_000_000) s"
                : "\(what) of \(target.set.size) bytes (operation \(sequence))")
        }
        let taken = min(state.sampleCount.pointee.load(ordering: .relaxed), DomainRunner.maximumSamples)
        return DomainMeasurement(throughput: measured, latencies: Array(UnsafeBufferPointer(start: samples, count: taken)),
                                 sampleInterval: state.sampleInterval.pointee.load(ordering: .relaxed),
                                 retries: state.refusals.pointee.load(ordering: .relaxed),
                                 verified: verify(lastGood: slot(0).lastGood.pointee),
                                 slotBalance: balance(counts: (0..<target.queueDepth).map { slot($0).completions.pointee.load(ordering: .relaxed) }))
    }

    /// Buffers of the working set the run uses: a multiple of the queue depth (when there are
    /// at least as many), so that slot `i`, which runs sequence numbers `i`, `i + queueDepth`, …,
    /// only ever touches buffers `≡ i (mod queueDepth)`: no two operations in flight share a buffer.
    static func usableBuffers(_ buffers: Int, queueDepth: Int) -> Int {
        buffers >= queueDepth ? buffers / queueDepth * queueDepth : buffers
    }

    /// Retries every parked slot once. Returns how many the device refused again.
    private func resubmitParked(state: ChainState, slot: (Int) -> ChainSlot) -> Int {
        var refused = 0
        for index in 0..<target.queueDepth {
            let candidate = slot(index)
            guard candidate.parked.pointee.compareExchange(expected: 1, desired: 0, ordering: .acquiring).exchanged else { continue }
            state.parked.pointee.wrappingSubtract(1, ordering: .relaxed)
            if state.stopping.pointee.load(ordering: .acquiring) != 0 {
                state.outstanding.pointee.wrappingSubtract(1, ordering: .acquiringAndReleasing)
                continue
            }
            if Self.startOrPark(candidate, state: state, newSequence: false) { refused += 1 }
        }
        return refused
    }

    /// Stops the run after the device completed nothing for the timeout: no slot resubmits any
    /// more, and every operation still in flight is expired (its token counts a completion
    /// that comes later as late; the slot is never touched again).
    /// - Returns: How many operations were expired; each stays counted in `outstanding`.
    private func abandon(state: ChainState, slot: (Int) -> ChainSlot) -> Int {
        state.stopping.pointee.store(1, ordering: .releasing)
        var expired = 0
        for index in 0..<target.queueDepth where slot(index).token.expireInFlight() { expired += 1 }
        return expired
    }

    /// Finishes every parked slot without resubmitting it (the run failed).
    private func abandonParked(state: ChainState, slot: (Int) -> ChainSlot) {
        for index in 0..<target.queueDepth where slot(index).parked.pointee.compareExchange(expected: 1, desired: 0, ordering: .acquiring).exchanged {
            state.parked.pointee.wrappingSubtract(1, ordering: .relaxed)
            state.outstanding.pointee.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        }
    }

    /// Checks the buffer of the last operation of slot 0 that completed successfully (all
    /// operations done; every copy of a slot writes the same bytes).
    private func verify(lastGood lastSequence: Int) -> Bool {
        guard lastSequence >= 0 else { return false }
        let sequence = lastSequence % Self.usableBuffers(target.set.slots, queueDepth: target.queueDepth)
        if let remote = target.remote {
            return remote.verify(sequence: sequence, set: target.set, operation: target.operation, readPercent: target.readPercent)
        }
        let destination = target.set.destinationSlot(sequence)
        if target.operation.copiesData, let source = target.set.sourceSlot(sequence) {
            return memcmp(destination, source, target.set.size) == 0
        }
        return UnsafeRawBufferPointer(start: destination, count: target.set.size).allSatisfy { $0 == 0 }
    }

    /// The least-served slot's completions over the most-served one's (1: all alike).
    private func balance(counts: [Int]) -> Double {
        guard let most = counts.max(), most > 0, let least = counts.min() else { return 1 }
        return Double(least) / Double(most)
    }

    // MARK: The operation path (runner and callbacks)

    /// Starts the slot's next operation (or, with `newSequence` false, its refused one again)
    /// through the slot's token.
    /// - Returns: What the token found once the call returned; after `.pending` the slot
    ///   belongs to the device until its completion.
    @inline(__always)
    static func start(_ slot: ChainSlot, state: ChainState, newSequence: Bool) -> CompletionSubmission {
        let constants = state.constants.pointee
        if newSequence { slot.sequence.pointee &+= constants.queueDepth }
        let sequence = slot.sequence.pointee
        let offset = (sequence % constants.slots) &* constants.stride
        let count = constants.iovecs
        var destination = slot.destination
        var source = slot.source
        if count > 1, let storage = constants.iovecStorage {
            source = storage + (sequence % constants.queueDepth) &* (count &* 2)
            destination = source + count
        }
        let (sourceBase, destinationBase) = BenchSubmit.bases(
            source: constants.source.map { $0 + offset }, destination: constants.destination + offset, remote: constants.remote.map { $0 + offset },
            operation: constants.operation, readPercent: constants.readPercent, sequence: sequence)
        BenchSubmit.describe(destination, base: destinationBase, size: constants.size, count: count)
        if let sourceBase { BenchSubmit.describe(source, base: sourceBase, size: constants.size, count: count) }
        let sampled = sequence % state.sampleInterval.pointee.load(ordering: .relaxed) == 0
        slot.submittedAt.pointee = sampled ? monotonicNanoseconds() : 0
        let token = slot.token
        // Only an expired token refuses to re-arm, and an expired slot is never started again.
        guard let argument = token.arm(domain: constants.domain, handler: chainCompletion, context: slot.record) else { return .refused(-EIO) }
        let rc = BenchSubmit.start((constants.domain, constants.operation, constants.readPercent), sequence: sequence,
                                   source: source, destination: destination, count: count, argument: argument)
        return token.submitted(rc)
    }

    /// Starts the slot's next operation; handles completions that come during the call on
    /// this thread (up to ``maximumInline`` in a row, then parks the slot); parks it for the
    /// runner on -EAGAIN; finishes it on any other failure.
    /// - Returns: True when the device refused the operation with -EAGAIN (the slot is parked).
    @inline(__always) @discardableResult
    static func startOrPark(_ slot: ChainSlot, state: ChainState, newSequence: Bool) -> Bool {
        var next = newSequence
        for _ in 0..<maximumInline {
            switch start(slot, state: state, newSequence: next) {
            case .pending:
                return false
            case .completed(let rc):
                guard finish(slot, rc: rc) else { return false }
                next = true
            case .refused(let rc):
                if rc == -EAGAIN {
                    park(slot, state: state, refused: true)
                    return true
                }
                state.fail(rc, sequence: slot.sequence.pointee)
                state.outstanding.pointee.wrappingSubtract(1, ordering: .acquiringAndReleasing)
                return false
            }
        }
        park(slot, state: state, refused: false)
        return false
    }

    /// Hands the slot to the runner (its last access to the slot); `refused`: because the
    /// device answered -EAGAIN (counted).
    @inline(__always)
    static func park(_ slot: ChainSlot, state: ChainState, refused: Bool) {
        if refused { state.refusals.pointee.wrappingAdd(1, ordering: .relaxed) }
        slot.parked.pointee.store(1, ordering: .releasing)
        state.parked.pointee.wrappingAdd(1, ordering: .releasing)
    }

    /// Records one completed operation of the slot: its latency when timed, its outcome, the
    /// slot's completion count.
    /// - Returns: True when the slot should start its next operation; false when the run is
    ///   stopping (the slot is finished: the decrement of `outstanding` is then the last
    ///   access to the run's memory).
    @inline(__always)
    static func finish(_ slot: ChainSlot, rc: Int32) -> Bool {
        let state = slot.state
        let submittedAt = slot.submittedAt.pointee
        if submittedAt != 0 && state.measuring.pointee.load(ordering: .relaxed) != 0 {
            let elapsed = monotonicNanoseconds() &- submittedAt
            let index = state.sampleCount.pointee.wrappingAdd(1, ordering: .relaxed).oldValue
            let constants = state.constants
            if index < constants.pointee.sampleCapacity { constants.pointee.samples[index] = elapsed }
        }
        if rc == 0 {
            slot.lastGood.pointee = slot.sequence.pointee
        } else {
            state.fail(rc, sequence: slot.sequence.pointee)
        }
        let completions = slot.completions
        completions.pointee.store(completions.pointee.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        if state.stopping.pointee.load(ordering: .acquiring) != 0 {
            state.outstanding.pointee.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            return false
        }
        return true
    }

    /// A completion that came after its submitting call returned (through the slot's token):
    /// records it, then resubmits the slot, or finishes it once the run is stopping.
    @inline(__always)
    static func completed(_ slot: ChainSlot, rc: Int32) {
        guard finish(slot, rc: rc) else { return }
        let depth = threadNestingAdd(1)
        defer { _ = threadNestingAdd(-1) }
        if depth > maximumNesting {
            park(slot, state: slot.state, refused: false)
            return
        }
        startOrPark(slot, state: slot.state, newSequence: true)
    }
}

/// The completion handler of a ``ChainRunner`` run (called through the slot's token);
/// `argument` is the slot record.
let chainCompletion: CompletionHandler = { argument, rc in
    guard let argument else { return }
    ChainRunner.completed(ChainSlot(argument), rc: rc)
}
