import CPUCopyEngine
import DMASync
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `body(index)` on `count` POSIX threads at once and joins them (``runOnThreads(_:_:)``);
/// a thread that cannot be created stops the test run.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let allStarted = runOnThreads(count, body)
    precondition(allStarted, "pthread_create failed in a test")
}

@Suite("CPU copy engine: concurrent submitters")
struct ConcurrencyTests {
    @Test("8 submitters: every completion exactly once, data correct", arguments: [CompletionMode.worker, .poll])
    func eightSubmitters(mode: CompletionMode) throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 2, queueDepth: 64, completionMode: mode))
        let submitters = 8
        let perSubmitter = 400
        let size = 192
        let log = CompletionLog(count: submitters * perSubmitter)
        let source = SGBuffer(size: submitters * perSubmitter * size)
        for index in 0..<source.bytes.count { source.bytes[index] = UInt8(truncatingIfNeeded: index % 251) }
        let destination = SGBuffer(size: submitters * perSubmitter * size)
        // Two source and two destination entries per operation, split at different points.
        let lists = UnsafeMutablePointer<iovec>.allocate(capacity: 4 * log.count)
        defer { lists.deallocate() }
        for op in 0..<log.count {
            let base = op * size
            lists[4 * op] = iovec(iov_base: source.bytes.baseAddress.map { $0 + base }, iov_len: 50)
            lists[4 * op + 1] = iovec(iov_base: source.bytes.baseAddress.map { $0 + base + 50 }, iov_len: size - 50)
            lists[4 * op + 2] = iovec(iov_base: destination.bytes.baseAddress.map { $0 + base }, iov_len: 131)
            lists[4 * op + 3] = iovec(iov_base: destination.bytes.baseAddress.map { $0 + base + 131 }, iov_len: size - 131)
        }
        let refused = Atomic<Int>(0)
        nonisolated(unsafe) let shared = lists
        onThreads(submitters) { submitter in
            for local in 0..<perSubmitter {
                let op = submitter * perSubmitter + local
                while true {
                    do throws(SubmitError) {
                        try engine.submitCopy(destination: shared + 4 * op + 2, destinationCount: 2,
                                              source: shared + 4 * op, sourceCount: 2,
                                              callback: CompletionLog.callback, argument: log.argument(op))
                        break
                    } catch {
                        precondition(error == .queueFull, "unexpected submit error \(error)")
                        refused.wrappingAdd(1, ordering: .relaxed)
                        if engine.poll() == 0 { sched_yield() }
                    }
                }
                if local % 8 == 0 { engine.poll(maxCompletions: 4) }
            }
        }
        #expect(log.wait(for: log.count, engine: engine))
        try engine.shutdown()
        var wrong = 0
        for op in 0..<log.count where log.calls(op) != 1 || log.status(op) != 0 { wrong += 1 }
        #expect(wrong == 0, "operations not completed exactly once with 0: \(wrong)")
        #expect(Array(UnsafeRawBufferPointer(source.bytes)) == Array(UnsafeRawBufferPointer(destination.bytes)))
    }
}
