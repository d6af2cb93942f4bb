import CPUCopyEngine
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A gate a completion callback can block on, so that a test controls when a worker moves on.
final class Gate: @unchecked Sendable {
    // @unchecked Sendable: only Atomics.
    let entered = Atomic<Int>(0)
    let open = Atomic<Bool>(false)

    static let callback: CompletionCallback = { argument, _ in
        guard let argument else { return }
        let gate = Unmanaged<Gate>.fromOpaque(argument).takeUnretainedValue()
        gate.entered.wrappingAdd(1, ordering: .sequentiallyConsistent)
        while !gate.open.load(ordering: .acquiring) { sched_yield() }
    }
}

@Suite("CPU copy engine: back-pressure")
struct BackPressureTests {
    @Test("poll mode: a full ring refuses with EAGAIN, and nothing accepted is lost")
    func pollModeFull() throws {
        let depth = 8
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 2, queueDepth: depth, completionMode: .poll))
        let buffer = SGBuffer(size: 256)
        buffer.carve(lengths: [128, 128], gaps: [0, 0])
        let log = CompletionLog(count: 3 * depth)
        let (accepted, refusedAt) = submitCopies(2 * depth, to: engine, buffer: buffer, log: log)
        #expect(accepted == depth, "a ring of \(depth) descriptors accepted \(accepted) unpolled operations")
        #expect(refusedAt == depth)
        #expect(log.completed == 0, "poll mode delivered completions without a poll")
        #expect(waitUntil { engine.poll(maxCompletions: 3) > 0 || log.completed > 0 })
        #expect(log.wait(for: depth, engine: engine))
        // Room again.
        try engine.submitCopy(destination: buffer.list + 1, destinationCount: 1, source: buffer.list, sourceCount: 1,
                              callback: CompletionLog.callback, argument: log.argument(2 * depth))
        #expect(log.wait(for: depth + 1, engine: engine))
        try engine.shutdown()
        for op in 0..<(3 * depth) {
            let expected = op < depth || op == 2 * depth ? 1 : 0
            #expect(log.calls(op) == expected, "operation \(op)")
        }
    }

    @Test("worker mode: a stalled worker fills the ring; EAGAIN until it moves on, then everything completes")
    func workerModeFull() throws {
        let depth = 8
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: depth))
        let buffer = SGBuffer(size: 256)
        buffer.carve(lengths: [128, 128], gaps: [0, 0])
        let gate = Gate()
        try engine.submitCopy(destination: buffer.list + 1, destinationCount: 1, source: buffer.list, sourceCount: 1,
                              callback: Gate.callback, argument: Unmanaged.passUnretained(gate).toOpaque())
        #expect(waitUntil { gate.entered.load(ordering: .sequentiallyConsistent) == 1 })
        let log = CompletionLog(count: 2 * depth)
        let (accepted, refusedAt) = submitCopies(2 * depth, to: engine, buffer: buffer, log: log)
        // The gate's own descriptor was released before its callback ran.
        #expect(accepted == depth)
        #expect(refusedAt == depth)
        #expect(log.completed == 0)
        gate.open.store(true, ordering: .releasing)
        #expect(log.wait(for: accepted))
        try engine.shutdown()
        for op in 0..<(2 * depth) { #expect(log.calls(op) == (op < accepted ? 1 : 0)) }
    }

    /// Submits copies numbered `0..<count` (logged in `log`, 128 bytes within `buffer`), one
    /// after the other; every refusal must be `queueFull` (-EAGAIN at the C boundary).
    /// - Returns: How many were accepted, and the number of the first refused one.
    private func submitCopies(_ count: Int, to engine: CopyEngine, buffer: SGBuffer, log: CompletionLog) -> (accepted: Int, firstRefused: Int?) {
        var accepted = 0
        var firstRefused: Int?
        for op in 0..<count {
            do throws(SubmitError) {
                try engine.submitCopy(destination: buffer.list + 1, destinationCount: 1, source: buffer.list, sourceCount: 1,
                                      callback: CompletionLog.callback, argument: log.argument(op))
                accepted += 1
            } catch {
                #expect(error == .queueFull)
                #expect(error.negativeErrno == -EAGAIN)
                #expect(error.dmaError.errno == EAGAIN)
                firstRefused = firstRefused ?? op
            }
        }
        return (accepted, firstRefused)
    }
}
