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

/// What a domain run measured.
public struct DomainMeasurement: Sendable {
    /// Operations completed between the end of the warm-up and the deadline.
    public var throughput: Throughput
    /// Round-trip times (submission call to completion callback) of the sampled operations, in
    /// nanoseconds, timer cost included.
    public var latencies: [UInt64]
    /// One operation in this many was timed (chosen so timing costs about 1% of the run).
    public var sampleInterval: Int
    /// Submissions the device refused with -EAGAIN and that were retried.
    public var retries: Int
    /// The last operation's destination equals its source (copy) or is zero (fill).
    public var verified: Bool
    /// Operations of the least-served in-flight slot over those of the most-served one (1 when
    /// the device serves them alike). Well below 1, the busy slots reused their buffers more
    /// often than a fair device would, so the numbers may include cache hits.
    public var slotBalance: Double = 1
}

/// Drives one memory domain through the memory-domain API at a fixed queue depth:
/// `spdk_memory_domain_push_data` (copy/write: system memory → the domain),
/// `spdk_memory_domain_pull_data` (read: the domain → system memory) or
/// `spdk_memory_domain_memzero` (fill), or pulls and pushes interleaved (a mix), each side in
/// one or more iovec entries (``BenchSubmit``): the library's exported C entry points, with a C completion callback. As soon as the oldest
/// in-flight operation completes its slot is resubmitted with the next buffer of the working set.
/// The domain's own callbacks, the registry dispatch and the completion path are all in the number.
struct DomainRunner {
    let target: RunTarget

    /// Online CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`).
    var onlineCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Samples kept at most.
    static let maximumSamples = 1 << 20

    /// Runs for `warmup` seconds unmeasured, then `seconds` measured; reports progress about
    /// every 0.5 s.
    /// - Throws: The ``DMAError`` of the first operation that failed to start (other than
    ///   -EAGAIN) or completed with an error, once every in-flight operation has completed.
    func run(warmup: Double, seconds: Double, progress: ((BenchProgress) -> Void)?) throws(DMAError) -> DomainMeasurement {
        let slots = try BenchSlots(count: target.queueDepth)
        defer { slots.deallocate() }
        // With more than one entry per side, slot `i` uses entries `2i * iovecs ..< 2(i+1) * iovecs`.
        let iovecStorage = target.iovecs > 1 ? UnsafeMutablePointer<iovec>.allocate(capacity: target.queueDepth * 2 * target.iovecs) : nil
        defer { iovecStorage?.deallocate() }
        let pollMode = target.cpu?.pollMode ?? false
        // This thread spins while it waits when a CPU is left for it (a CPU device with fewer
        // workers than CPUs, or any other backend); otherwise it sleeps, so as not to take CPU
        // time from the workers. Waking a sleeper costs the waker a system call (and, in a
        // virtual machine, an inter-processor interrupt), so completions are reaped in groups:
        // the runner waits for the last of the next `group` in-flight operations, then
        // resubmits them all, sleeping at most once per group (a quarter of the queue when
        // spinning; three quarters when sleeping, the last quarter keeping the workers busy
        // while this thread wakes up).
        let spinning = (target.cpu?.workers).map { $0 < onlineCPUs } ?? true
        let group = max(1, spinning ? target.queueDepth / 4 : target.queueDepth * 3 / 4)
        var sequence = 0
        var retries = 0
        var sampleInterval = 64
        var latencies: [UInt64] = []
        var failure: (rc: Int32, sequence: Int)?
        var perOperation = 1_000.0

        /// Starts the next operation in slot `index` (retrying -EAGAIN); returns its rc.
        func submit(_ index: Int) -> Int32 {
            let record = slots.record(index)
            BenchSlots.awaitExit(record)
            BenchSlots.arm(record)
            let count = target.iovecs
            var destination = BenchSlots.destination(record)
            var source = BenchSlots.source(record)
            if let iovecStorage {
                source = iovecStorage + index * 2 * count
                destination = source + count
            }
            let (sourceBase, destinationBase) = BenchSubmit.bases(
                source: target.set.sourceSlot(sequence), destination: target.set.destinationSlot(sequence),
                remote: target.remote?.slot(sequence, of: target.set), operation: target.operation, readPercent: target.readPercent, sequence: sequence)
            BenchSubmit.describe(destination, base: destinationBase, size: target.set.size, count: count)
            if let sourceBase { BenchSubmit.describe(source, base: sourceBase, size: target.set.size, count: count) }
            let sampled = sequence % sampleInterval == 0 && latencies.count < Self.maximumSamples
            BenchSlots.sampled(record).pointee.store(sampled ? 1 : 0, ordering: .relaxed)
            var retryStart: UInt64 = 0
            let token = BenchSlots.token(record)
            while true {
                if sampled { BenchSlots.submittedAt(record).pointee = monotonicNanoseconds() }
                guard let argument = token.arm(domain: target.domain, handler: benchCompletion, context: record) else {
                    // Only an expired token refuses to re-arm, and the run ends at the first timeout.
                    BenchSlots.disarm(record, rc: -EIO)
                    return -EIO
                }
                let rc = BenchSubmit.start((target.domain, target.operation, target.readPercent), sequence: sequence,
                                           source: source, destination: destination, count: count, argument: argument)
                let refusal: Int32
                switch token.submitted(rc) {
                case .pending:
                    return 0
                case .completed(let status):
                    // Completed during the call: publish it here, as the handler would have.
                    benchCompletion(record, status)
                    return 0
                case .refused(let status):
                    refusal = status
                }
                guard refusal == -EAGAIN else {
                    BenchSlots.disarm(record, rc: refusal)
                    return refusal
                }
                retries += 1
                if retryStart == 0 { retryStart = monotonicNanoseconds() }
                if retries & 1023 == 0, monotonicNanoseconds() - retryStart > 10_000_000_000 {
                    BenchSlots.disarm(record, rc: refusal)
                    return refusal
                }
                target.cpu?.poll()
                sched_yield()
            }
        }

        /// Waits until slot `index` is done: polls the CPU engine in poll mode; otherwise spins
        /// when the wait should be short and sleeps on the slot when it should be long.
        /// - Returns: False when the operation did not complete within the timeout, counted from
        ///   the start of this wait (the device hung, or never calls the completion).
        func wait(_ index: Int, expected: Double) -> Bool {
            let record = slots.record(index)
            if BenchSlots.isDone(record) { return true }
            let deadline = monotonicNanoseconds() &+ target.timeoutNanoseconds
            if pollMode {
                // Nobody else delivers completions: poll, spinning briefly, then yielding.
                let start = monotonicNanoseconds()
                var rounds = 0
                var yielding = false
                while !BenchSlots.isDone(record) {
                    if target.cpu?.poll() != 0 { continue }
                    rounds &+= 1
                    if yielding {
                        sched_yield()
                        if rounds & 63 == 0 && monotonicNanoseconds() > deadline { return false }
                    } else {
                        cpuRelax()
                        if rounds & 63 == 0 && monotonicNanoseconds() - start > 5_000 { yielding = true }
                    }
                }
                return true
            }
            // Spin for the expected wait (at least 20 µs, at most 2 ms) when a CPU is free for
            // this thread; only for short waits otherwise.
            let budget: Double = spinning ? min(2_000_000, max(20_000, 2 * expected)) : (expected < 20_000 ? 20_000 : 0)
            if budget > 0 {
                let start = monotonicNanoseconds()
                let limit = UInt64(budget)
                var rounds = 0
                while !BenchSlots.isDone(record) {
                    cpuRelax()
                    rounds &+= 1
                    if rounds & 63 == 0 && monotonicNanoseconds() - start > limit { break }
                }
            }
            return BenchSlots.sleepUntilDone(record, deadline: deadline)
        }

        var outstanding = 0
        for index in 0..<target.queueDepth {
            let rc = submit(index)
            sequence += 1
            if rc != 0 {
                failure = (rc, sequence - 1)
                break
            }
            outstanding += 1
        }

        let start = monotonicNanoseconds()
        let measureFrom = start + UInt64(warmup * 1e9)
        let measureUntil = measureFrom + UInt64(seconds * 1e9)
        var measuring = false
        var stopping = failure != nil
        var completed = 0
        var measuredFrom = (count: 0, time: UInt64(0))
        var measured = Throughput(operations: 0, size: target.set.size, seconds: 0)
        var checkEvery = 16
        var nextCheck = checkEvery
        var lastCheck = (count: 0, time: start)
        var lastProgress = start
        var index = 0

        var hung = false
        waiting: while outstanding > 0 {
            let batch = min(group, outstanding)
            guard wait((index + batch - 1) % target.queueDepth, expected: perOperation * Double(batch)) else {
                hung = true
                break waiting
            }
            for _ in 0..<batch {
                let record = slots.record(index)
                guard wait(index, expected: perOperation) else {
                    hung = true
                    break waiting
                }
                outstanding -= 1
                completed += 1
                let rc = Int32(truncatingIfNeeded: BenchSlots.rc(record).pointee.load(ordering: .relaxed))
                if rc != 0 && failure == nil {
                    failure = (rc, sequence)
                    stopping = true
                }
                if measuring && BenchSlots.sampled(record).pointee.load(ordering: .relaxed) != 0 {
                    let done = UInt64(truncatingIfNeeded: BenchSlots.completedAt(record).pointee.load(ordering: .relaxed))
                    latencies.append(done &- BenchSlots.submittedAt(record).pointee)
                }
                if !stopping {
                    let rc = submit(index)
                    sequence += 1
                    if rc != 0 {
                        failure = (rc, sequence - 1)
                        stopping = true
                    } else {
                        outstanding += 1
                    }
                }
                index += 1
                if index == target.queueDepth { index = 0 }
            }

            if completed >= nextCheck && !stopping {
                let now = monotonicNanoseconds()
                // Read the clock about every 200 µs; time about 1% of the operations.
                perOperation = Double(now - lastCheck.time) / Double(max(1, completed - lastCheck.count))
                checkEvery = max(1, min(1 << 20, Int(200_000 / max(perOperation, 1))))
                sampleInterval = max(1, Int((2 * Double(target.timerCost) / (0.01 * max(perOperation, 1))).rounded(.up)))
                nextCheck = completed + checkEvery
                lastCheck = (completed, now)
                if !measuring && now >= measureFrom {
                    measuring = true
                    measuredFrom = (completed, now)
                } else if measuring && now >= measureUntil {
                    measured = Throughput(operations: completed - measuredFrom.count, size: target.set.size,
                                          seconds: Double(now - measuredFrom.time) / 1e9)
                    stopping = true
                }
                if let progress, now - lastProgress >= 500_000_000 {
                    lastProgress = now
                    progress(BenchProgress(measuring: measuring, elapsed: Double(now - start) / 1e9,
                                           total: warmup + seconds, recentNanosecondsPerOperation: perOperation, size: target.set.size))
                }
            }
        }

        if hung {
            throw abandon(slots, completed: completed)
        }
        if let failure {
            let what = target.callName
            throw DMAError(errno: failure.rc, context: "\(what) of \(target.set.size) bytes (operation \(failure.sequence))")
        }
        return DomainMeasurement(throughput: measured, latencies: latencies, sampleInterval: sampleInterval,
                                 retries: retries, verified: verify(sequence: sequence - 1))
    }

    /// Stops waiting for the operations still in flight after the device completed nothing
    /// for the timeout: expires their tokens (a completion that comes later is counted as late
    /// and never touches the records), marks their records done, and describes them.
    private func abandon(_ slots: BenchSlots, completed: Int) -> DMAError {
        var expired = 0
        for index in 0..<slots.count {
            let record = slots.record(index)
            if BenchSlots.token(record).expireInFlight() {
                expired += 1
                BenchSlots.disarm(record, rc: -ETIMEDOUT)
            }
        }
        return BenchTimeout.error(operation: target.operation, size: target.set.size, outstanding: expired,
                                  queueDepth: target.queueDepth, completed: completed, timeoutNanoseconds: target.timeoutNanoseconds)
    }

    /// Checks the buffer of operation `sequence` (the last one, all operations done).
    private func verify(sequence: Int) -> Bool {
        guard sequence >= 0 else { return false }
        if let remote = target.remote {
            return remote.verify(sequence: sequence, set: target.set, operation: target.operation, readPercent: target.readPercent)
        }
        let destination = target.set.destinationSlot(sequence)
        if target.operation.copiesData, let source = target.set.sourceSlot(sequence) {
            return memcmp(destination, source, target.set.size) == 0
        }
        let bytes = UnsafeRawBufferPointer(start: destination, count: target.set.size)
        return bytes.allSatisfy { $0 == 0 }
    }
}

/// A progress report while a benchmark runs.
public struct BenchProgress: Sendable {
    /// False during the warm-up.
    public var measuring: Bool
    /// Seconds since the device run started.
    public var elapsed: Double
    /// Warm-up plus measured seconds.
    public var total: Double
    /// Average time per operation since the previous clock read.
    public var recentNanosecondsPerOperation: Double
    /// Bytes per operation.
    public var size: Int

    /// The recent rate in GB/s (10^9 bytes per second).
    public var gigabytesPerSecond: Double {
        recentNanosecondsPerOperation > 0 ? Double(size) / recentNanosecondsPerOperation : 0
    }

    /// One line: phase, time, GB/s, Mops/s.
    public var line: String {
        let rate = recentNanosecondsPerOperation > 0 ? 1e9 / recentNanosecondsPerOperation : 0
        let gbps = rate * Double(size) / 1e9
        return "\(measuring ? "measuring" : "warming up") \(Format.fixed(elapsed, 1))/\(Format.fixed(total, 1)) s  "
            + "\(Format.fixed(gbps, 2)) GB/s  \(Format.fixed(rate / 1e6, 3)) Mops/s"
    }
}

