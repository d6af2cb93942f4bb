import CPUCopyEngine
import DMADriverKit
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Submits 1 MiB copies from `threads` threads until the engine refuses with `.stopped`,
/// while the calling thread shuts the engine down in `mode` after `delayMicroseconds`.
/// Returns the log and which operations were accepted.
private func shutdownUnderLoad(mode: CopyEngine.ShutdownMode, completion: CompletionMode,
                               delayMicroseconds: UInt32) throws -> (CompletionLog, [Bool]) {
    let engine = try CopyEngine(configuration: CopyEngineConfiguration(
        workers: 2, queueDepth: 16, completionMode: completion, splitThreshold: 512 << 10, minimumPartSize: 256 << 10))
    let threads = 2
    let perThread = 300
    let size = 1 << 20
    let source = SGBuffer(size: size, fill: 0xAB)
    source.carve(lengths: [size], gaps: [0])
    let destinations = (0..<threads).map { _ in SGBuffer(size: size) }
    for destination in destinations { destination.carve(lengths: [size / 2, size / 2], gaps: [0, 0]) }
    let log = CompletionLog(count: threads * perThread)
    let accepted = UnsafeMutablePointer<Atomic<Bool>>.allocate(capacity: log.count)
    for index in 0..<log.count { (accepted + index).initialize(to: Atomic(false)) }
    defer { accepted.deallocate() }
    nonisolated(unsafe) let acceptedShared = accepted
    let started = Atomic<Int>(0)
    let stopper = Atomic<Bool>(false)

    onThreads(threads + 1) { index in
        if index == threads {
            while started.load(ordering: .acquiring) < threads { sched_yield() }
            usleep(delayMicroseconds)
            do throws(DMAError) { try engine.shutdown(mode) } catch { preconditionFailure("shutdown failed: \(error)") }
            stopper.store(true, ordering: .releasing)
            return
        }
        started.wrappingAdd(1, ordering: .releasing)
        for local in 0..<perThread {
            let op = index * perThread + local
            retry: while true {
                do throws(SubmitError) {
                    try engine.submitCopy(destination: destinations[index].list, destinationCount: 2,
                                          source: source.list, sourceCount: 1,
                                          callback: CompletionLog.callback, argument: log.argument(op))
                    acceptedShared[op].store(true, ordering: .relaxed)
                    break retry
                } catch {
                    if error == .stopped { return }
                    precondition(error == .queueFull, "unexpected submit error \(error)")
                    engine.poll()
                    sched_yield()
                }
            }
        }
    }
    let stopped = stopper.load(ordering: .acquiring)
    #expect(stopped)
    #expect(engine.isShutDown)
    // After shutdown everything accepted has completed; nothing more may arrive.
    var byte: UInt8 = 0
    withUnsafeMutableBytes(of: &byte) { bytes in
        var buffer = iovec(iov_base: bytes.baseAddress, iov_len: 1)
        #expect(throws: SubmitError.stopped) {
            try engine.submitFill(destination: &buffer, destinationCount: 1, pattern: 0, callback: CompletionLog.callback, argument: nil)
        }
    }
    return (log, (0..<log.count).map { accepted[$0].load(ordering: .relaxed) })
}

@Suite("CPU copy engine: shutdown with operations in flight")
struct ShutdownTests {
    @Test("cancel: every accepted operation completes once, with 0 or -ECANCELED", arguments: [CompletionMode.worker, .poll])
    func cancelInFlight(mode: CompletionMode) throws {
        let (log, accepted) = try shutdownUnderLoad(mode: .cancel, completion: mode, delayMicroseconds: 20_000)
        var cancelled = 0
        for op in 0..<log.count {
            if accepted[op] {
                #expect(log.calls(op) == 1, "operation \(op) completed \(log.calls(op)) times")
                #expect(log.status(op) == 0 || log.status(op) == -ECANCELED, "operation \(op): rc \(log.status(op))")
                if log.status(op) == -ECANCELED { cancelled += 1 }
            } else {
                #expect(log.calls(op) == 0, "refused operation \(op) completed")
            }
        }
        #expect(accepted.contains(true))
        print("cancel (\(mode)): \(accepted.filter { $0 }.count) accepted, \(cancelled) cancelled")
    }

    @Test("drain: every accepted operation completes once, with 0", arguments: [CompletionMode.worker, .poll])
    func drainInFlight(mode: CompletionMode) throws {
        let (log, accepted) = try shutdownUnderLoad(mode: .drain, completion: mode, delayMicroseconds: 10_000)
        for op in 0..<log.count {
            #expect(log.calls(op) == (accepted[op] ? 1 : 0), "operation \(op)")
            if accepted[op] { #expect(log.status(op) == 0) }
        }
    }

    @Test("releasing the last reference cancels and completes what is queued")
    func deinitCompletes() throws {
        let log = CompletionLog(count: 64)
        let source = SGBuffer(size: 1 << 20)
        source.carve(lengths: [1 << 20], gaps: [0])
        let destination = SGBuffer(size: 1 << 20)
        destination.carve(lengths: [1 << 20], gaps: [0])
        var accepted = 0
        do {
            let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: 64))
            for op in 0..<64 {
                do throws(SubmitError) {
                    try engine.submitCopy(destination: destination.list, destinationCount: 1, source: source.list, sourceCount: 1,
                                          callback: CompletionLog.callback, argument: log.argument(op))
                    accepted += 1
                } catch {
                    #expect(error == .queueFull)
                }
            }
        }
        for op in 0..<accepted { #expect(log.calls(op) == 1) }
        #expect(log.completed == accepted)
    }

    @Test("shutdown from a callback on a worker thread is refused, not a deadlock")
    func shutdownFromWorker() throws {
        final class Probe: @unchecked Sendable {
            // @unchecked Sendable: `engine` is set before the operation is submitted.
            var engine: CopyEngine?
            let result = Atomic<Int>(0)
            /// One byte to fill, and the list describing it (valid until the test ends).
            let byte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
            let list = UnsafeMutablePointer<iovec>.allocate(capacity: 1)
            init() { list.initialize(to: iovec(iov_base: byte, iov_len: 1)) }
            deinit {
                list.deallocate()
                byte.deallocate()
            }
        }
        let probe = Probe()
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1))
        probe.engine = engine
        try engine.submitFill(destination: probe.list, destinationCount: 1, pattern: 0, callback: { argument, _ in
            guard let argument else { return }
            let probe = Unmanaged<Probe>.fromOpaque(argument).takeUnretainedValue()
            do throws(DMAError) {
                try probe.engine?.shutdown()
                probe.result.store(1, ordering: .releasing)
            } catch {
                probe.result.store(error.errno == EINVAL ? 2 : 3, ordering: .releasing)
            }
        }, argument: Unmanaged.passUnretained(probe).toOpaque())
        #expect(waitUntil { probe.result.load(ordering: .acquiring) != 0 })
        #expect(probe.result.load(ordering: .acquiring) == 2)
        try engine.shutdown()
        try engine.shutdown()
        probe.engine = nil
    }
}

@Suite("CPU copy engine: cancellation")
struct CancellationTests {
    @Test("cancel while the only worker is stalled: queued operations complete with -ECANCELED")
    func cancelQueued() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: 16))
        let buffer = SGBuffer(size: 256, fill: 0x11)
        buffer.carve(lengths: [128, 128], gaps: [0, 0])
        let gate = Gate()
        try engine.submitFill(destination: buffer.list, destinationCount: 1, pattern: 0x22,
                              callback: Gate.callback, argument: Unmanaged.passUnretained(gate).toOpaque())
        #expect(waitUntil { gate.entered.load(ordering: .sequentiallyConsistent) == 1 })
        let log = CompletionLog(count: 8)
        for op in 0..<8 {
            try engine.submitFill(destination: buffer.list + 1, destinationCount: 1, pattern: 0x33,
                                  callback: CompletionLog.callback, argument: log.argument(op))
        }
        let stopping = Atomic<Bool>(false)
        onThreads(2) { index in
            if index == 0 {
                stopping.store(true, ordering: .releasing)
                do throws(DMAError) { try engine.shutdown(.cancel) } catch { preconditionFailure("shutdown: \(error)") }
            } else {
                while !stopping.load(ordering: .acquiring) { sched_yield() }
                usleep(100_000)
                gate.open.store(true, ordering: .releasing)
            }
        }
        for op in 0..<8 {
            #expect(log.calls(op) == 1)
            #expect(log.status(op) == -ECANCELED)
        }
        // The cancelled fills never ran; the one already running did.
        #expect(buffer.gathered().prefix(128).allSatisfy { $0 == 0x22 })
        #expect(buffer.gathered().dropFirst(128).allSatisfy { $0 == 0x11 })
    }
}
