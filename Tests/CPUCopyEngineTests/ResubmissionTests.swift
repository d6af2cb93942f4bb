import CPUCopyEngine
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A chain of copies, each submitted by the previous one's completion callback (on a worker
/// thread).
private final class Chain: @unchecked Sendable {
    // @unchecked Sendable: the counters are Atomics; the buffers are written only by the
    // engine's copies, one at a time per chain.
    unowned(unsafe) let engine: CopyEngine
    let links: Int
    let calls = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)
    /// Set when the engine refused a resubmission (ring full): the test thread submits again.
    let parked = Atomic<Bool>(false)
    let source: UnsafeMutableRawBufferPointer
    let destination: UnsafeMutableRawBufferPointer
    let lists = UnsafeMutablePointer<iovec>.allocate(capacity: 2)

    init(engine: CopyEngine, links: Int, size: Int, seed: UInt8) {
        self.engine = engine
        self.links = links
        source = .allocate(byteCount: size, alignment: 64)
        destination = .allocate(byteCount: size, alignment: 64)
        for index in 0..<size { source[index] = seed &+ UInt8(truncatingIfNeeded: index) }
        destination.initializeMemory(as: UInt8.self, repeating: 0)
        lists[0] = iovec(iov_base: source.baseAddress, iov_len: size)
        lists[1] = iovec(iov_base: destination.baseAddress, iov_len: size)
    }

    deinit {
        source.deallocate()
        destination.deallocate()
        lists.deallocate()
    }

    /// Submits the next link. When the engine refuses it: a full ring parks the chain (see
    /// ``resumeIfParked()``), a stopped engine finishes it.
    @discardableResult
    func submit() -> Bool {
        do throws(SubmitError) {
            try engine.submitCopy(destination: lists + 1, destinationCount: 1, source: lists, sourceCount: 1,
                                  callback: Chain.callback, argument: Unmanaged.passUnretained(self).toOpaque())
            return true
        } catch {
            if error == .queueFull {
                parked.store(true, ordering: .releasing)
            } else {
                finished.store(true, ordering: .releasing)
            }
            return false
        }
    }

    /// Submits again a link the engine refused because its ring was full (a ring slot stays
    /// taken until its operation completes, so a worker that was preempted holding claimed
    /// operations can fill the ring while others lap it).
    func resumeIfParked() {
        if parked.compareExchange(expected: true, desired: false, ordering: .acquiring).exchanged { submit() }
    }

    static let callback: CompletionCallback = { argument, rc in
        guard let argument else { return }
        let chain = Unmanaged<Chain>.fromOpaque(argument).takeUnretainedValue()
        if rc != 0 { chain.failures.wrappingAdd(1, ordering: .relaxed) }
        let done = chain.calls.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if done < chain.links {
            chain.submit()
        } else {
            chain.finished.store(true, ordering: .releasing)
        }
    }
}

@Suite("CPU copy engine: resubmission from completion callbacks")
struct ResubmissionTests {
    @Test("chains resubmitted on the workers run every link exactly once, data correct", arguments: [1, 2, 3])
    func chains(workers: Int) throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: workers, queueDepth: 16))
        let chains = (0..<12).map { Chain(engine: engine, links: 300, size: 1000 + 37 * $0, seed: UInt8($0)) }
        for chain in chains { chain.submit() }  // a refusal parks the chain; resumed below
        #expect(waitUntil {
            for chain in chains { chain.resumeIfParked() }
            return chains.allSatisfy { $0.finished.load(ordering: .acquiring) }
        })
        try engine.shutdown()
        for chain in chains {
            #expect(chain.calls.load(ordering: .acquiring) == chain.links)
            #expect(chain.failures.load(ordering: .relaxed) == 0)
            #expect(Array(chain.source) == Array(chain.destination))
        }
    }

    @Test("cancel while chains resubmit on the workers: every accepted link completes once", arguments: [1, 2])
    func cancelWhileResubmitting(workers: Int) throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: workers, queueDepth: 64))
        let chains = (0..<8).map { Chain(engine: engine, links: .max, size: 64 << 10, seed: UInt8($0)) }
        for chain in chains { chain.submit() }  // a refusal parks the chain; resumed below
        #expect(waitUntil {
            for chain in chains { chain.resumeIfParked() }
            return chains.allSatisfy { $0.calls.load(ordering: .relaxed) > 10 }
        })
        try engine.shutdown(.cancel)
        for chain in chains { chain.resumeIfParked() }
        // After shutdown every chain's last resubmission was refused (engine stopped), so each
        // chain finished, and no callback runs any more.
        for chain in chains {
            let finished = chain.finished.load(ordering: .acquiring)
            #expect(finished)
            let calls = chain.calls.load(ordering: .acquiring)
            usleep(2_000)
            #expect(chain.calls.load(ordering: .acquiring) == calls)
        }
    }

    @Test("drain while chains resubmit on a single worker: every accepted link completes once, data correct")
    func drainWhileResubmitting() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: 32))
        let chains = (0..<4).map { Chain(engine: engine, links: .max, size: 4096 + 64 * $0, seed: UInt8(100 + $0)) }
        for chain in chains { chain.submit() }
        #expect(waitUntil {
            for chain in chains { chain.resumeIfParked() }
            return chains.allSatisfy { $0.calls.load(ordering: .relaxed) > 100 }
        })
        try engine.shutdown(.drain)
        for chain in chains { chain.resumeIfParked() }
        for chain in chains {
            let finished = chain.finished.load(ordering: .acquiring)
            #expect(finished)
            #expect(chain.failures.load(ordering: .relaxed) == 0)
            #expect(Array(chain.source) == Array(chain.destination))
        }
    }

    @Test("a chain resubmitting on a single worker does not hold back another thread's operations")
    func otherThreadsProgress() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1, queueDepth: 16))
        let chains = (0..<4).map { Chain(engine: engine, links: .max, size: 64, seed: UInt8(200 + $0)) }
        for chain in chains { chain.submit() }
        #expect(waitUntil {
            for chain in chains { chain.resumeIfParked() }
            return chains.allSatisfy { $0.calls.load(ordering: .relaxed) > 100 }
        })
        // Operations from this thread, one at a time: each must complete while the chains
        // keep resubmitting (a starved one would never complete: the chains never stop).
        let operations = 200
        let log = CompletionLog(count: operations)
        let source = SGBuffer(size: 512, fill: 0x5A)
        source.carve(lengths: [512], gaps: [0])
        var destinations: [SGBuffer] = []
        for index in 0..<operations {
            let destination = SGBuffer(size: 512)
            destinations.append(destination)
            destination.carve(lengths: [512], gaps: [0])
            var accepted = false
            var refusal: SubmitError?
            #expect(waitUntil {
                for chain in chains { chain.resumeIfParked() }
                do throws(SubmitError) {
                    try engine.submitCopy(destination: destination.list, destinationCount: 1, source: source.list, sourceCount: 1,
                                          callback: CompletionLog.callback, argument: log.argument(index))
                    accepted = true
                } catch {
                    if error != .queueFull { refusal = error }
                }
                return accepted || refusal != nil
            })
            #expect(refusal == nil)
            #expect(log.wait(for: index + 1))
        }
        let before = chains.map { $0.calls.load(ordering: .relaxed) }
        #expect(waitUntil { zip(chains, before).allSatisfy { $0.calls.load(ordering: .relaxed) > $1 } })
        try engine.shutdown(.drain)
        for chain in chains { chain.resumeIfParked() }
        for index in 0..<operations {
            #expect(log.calls(index) == 1)
            #expect(log.status(index) == 0)
            #expect(destinations[index].bytes.allSatisfy { $0 == 0x5A })
        }
        for chain in chains { #expect(chain.failures.load(ordering: .relaxed) == 0) }
    }
}
