@testable import CPUCopyEngine
import DMADriverKit
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A completion that holds its worker until the test opens the gate. The argument is an
/// `Atomic<Int>`: 0 before the callback runs, 1 while it waits, 2 once the gate is open.
private let gatedCompletion: CompletionCallback = { argument, _ in
    guard let gate = argument?.assumingMemoryBound(to: Atomic<Int>.self) else { return }
    gate.pointee.store(1, ordering: .releasing)
    while gate.pointee.load(ordering: .acquiring) != 2 { sched_yield() }
}

@Suite("CPU copy engine: running, stopping, stopped")
struct EngineStateTests {
    @Test("a new engine runs; shutdown stops it; a second shutdown leaves it stopped")
    func simpleShutdown() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: 4))
        #expect(engine.currentState == .running && !engine.isShutDown)
        try engine.shutdown()
        #expect(engine.currentState == .stopped && engine.isShutDown)
        try engine.shutdown(.cancel)
        #expect(engine.currentState == .stopped)
    }

    @Test("while an operation runs, shutdown holds the engine in stopping, and other shutdown calls wait",
          arguments: [CompletionMode.worker, .poll])
    func stoppingWaitsForOperations(mode: CompletionMode) throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: 4, completionMode: mode))
        let gate = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 1)
        gate.initialize(to: Atomic(0))
        defer { gate.deallocate() }
        nonisolated(unsafe) let sharedGate = gate
        let destination = SGBuffer(size: 1)
        destination.carve(lengths: [1], gaps: [0])
        try engine.submitFill(destination: destination.list, destinationCount: 1, pattern: 7,
                              callback: gatedCompletion, argument: UnsafeMutableRawPointer(gate))

        // What the observing thread saw while the callback held the operation open.
        let sawStopping = Atomic<Bool>(false)
        let returnedEarly = Atomic<Bool>(false)
        let refusedAsStopped = Atomic<Bool>(false)
        let returned = Atomic<Int>(0)
        // Thread 0 shuts the engine down (in poll mode it then delivers the completion, so the
        // callback runs there); thread 1 calls shutdown once the engine is stopping; thread 2
        // observes, then lets the callback return.
        onThreads(3) { index in
            switch index {
            case 0, 1:
                if index == 1 {
                    while engine.currentState == .running { sched_yield() }
                }
                do throws(DMAError) { try engine.shutdown() } catch { preconditionFailure("shutdown failed: \(error)") }
                returned.wrappingAdd(1, ordering: .releasing)
            default:
                while sharedGate.pointee.load(ordering: .acquiring) != 1 { sched_yield() }
                while engine.currentState == .running { sched_yield() }
                sawStopping.store(engine.currentState == .stopping && !engine.isShutDown, ordering: .relaxed)
                usleep(10_000)
                returnedEarly.store(returned.load(ordering: .acquiring) != 0, ordering: .relaxed)
                do throws(SubmitError) {
                    try engine.submitFill(destination: destination.list, destinationCount: 1, pattern: 0,
                                          callback: gatedCompletion, argument: nil)
                } catch {
                    refusedAsStopped.store(error == .stopped, ordering: .relaxed)
                }
                sharedGate.pointee.store(2, ordering: .releasing)
            }
        }
        let observed = (stopping: sawStopping.load(ordering: .relaxed), returnedEarly: returnedEarly.load(ordering: .relaxed),
                        refused: refusedAsStopped.load(ordering: .relaxed), returned: returned.load(ordering: .acquiring))
        #expect(observed.stopping, "stopping while an accepted operation has not completed")
        #expect(!observed.returnedEarly, "no shutdown call returns before the operation completed")
        #expect(observed.refused, "a stopping engine refuses submissions")
        #expect(observed.returned == 2)
        #expect(engine.currentState == .stopped && engine.isShutDown)
        #expect(destination.gathered() == [7])
    }
}
