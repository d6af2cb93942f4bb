import CDMAHostABI
import DMAHost
import Foundation
import Synchronization
import Testing

/// Many threads creating, looking up, iterating, dispatching and destroying at once.
/// Each thread dereferences only domains it owns (or shared ones this test keeps alive),
/// as C callers must; the Swift API's `all()` snapshot is exercised against concurrent
/// destruction. Failures are counted per thread and asserted at the end; the suites are
/// also meant to run under `--sanitize=thread` and `--sanitize=address`.
@Suite("Concurrency stress")
struct ConcurrencyStressTests {
    static let threads = 8

    @Test("create, walk and destroy from many threads")
    func createWalkDestroy() {
        let failures = Atomic<Int>(0)
        let prefix = uniqueID()
        onThreads(Self.threads) { t in
            let id = "\(prefix)-\(t)"
            func fail() { failures.add(1, ordering: .relaxed) }
            for round in 0..<150 {
                var mine: [CDomain] = []
                for i in 0..<6 {
                    // Every third domain has no id; filtered walks pass over it.
                    guard let domain = cCreate(spdk_dma_device_type(rawValue: UInt32(i)), id: i % 3 == 2 ? nil : id) else { fail(); return }
                    mine.append(domain)
                }
                let named = mine.enumerated().filter { $0.offset % 3 != 2 }.map(\.element)
                if spdk_memory_domain_get_first(nil) != spdk_memory_domain_get_system_domain() { fail() }
                if cWalk(id: id) != named { fail() }
                if cNext(mine[2], id: id) != mine[3] { fail() }
                if spdk_memory_domain_get_dma_device_type(mine[round % 6]).rawValue != UInt32(round % 6) { fail() }
                if cID(mine[0]) != id || cID(mine[2]) != nil { fail() }
                for k in 0..<6 { spdk_memory_domain_destroy(mine[(k * 5 + round) % 6]) }
                if cFirst(id: id) != nil { fail() }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        for t in 0..<Self.threads { #expect(cFirst(id: "\(prefix)-\(t)") == nil) }
    }

    @Test("MemoryDomain.all and first(id:) while other threads create and destroy")
    func swiftSnapshotsDuringChurn() throws {
        let failures = Atomic<Int>(0)
        let id = uniqueID()
        let anchor = try MemoryDomain.create(type: .dma, id: id)
        defer { anchor.destroy() }
        onThreads(Self.threads) { t in
            for _ in 0..<300 {
                if t % 2 == 0 {
                    // Churn: domains appear and disappear around the walkers.
                    guard let domain = try? MemoryDomain.create(type: .accel, id: t % 4 == 0 ? nil : "\(id)-churn") else {
                        failures.add(1, ordering: .relaxed)
                        return
                    }
                    domain.destroy()
                } else {
                    let all = MemoryDomain.all()
                    if all.first != MemoryDomain.system || !all.contains(anchor) { failures.add(1, ordering: .relaxed) }
                    if MemoryDomain.all(id: id) != [anchor] { failures.add(1, ordering: .relaxed) }
                    if MemoryDomain.first(id: id) != anchor { failures.add(1, ordering: .relaxed) }
                    _ = MemoryDomain.all(id: "\(id)-churn").count
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(MemoryDomain.all(id: "\(id)-churn").isEmpty)
    }

    /// Pull callback of the shared domain: creates, finds and destroys a domain whose id is
    /// the C string in `domain_ctx`, then completes. Runs with no library lock held.
    private static let reentrantPull: spdk_memory_domain_pull_data_cb = { domain, ctx, _, _, _, _, cpl, arg in
        guard let ctx else { return -EINVAL }
        let id = ctx.assumingMemoryBound(to: CChar.self)
        var inner: CDomain?
        guard spdk_memory_domain_create(&inner, SPDK_DMA_DEVICE_TYPE_DMA, nil, id) == 0, let inner else { return -ENOMEM }
        defer { spdk_memory_domain_destroy(inner) }
        guard spdk_memory_domain_get_first(id) == inner, spdk_memory_domain_get_next(domain, id) == inner else { return -EPROTO }
        cpl?(arg, 0)
        return 0
    }

    @Test("dispatch from many threads into a callback that re-enters the library")
    func reentrantDispatch() throws {
        let shared = try #require(cCreate(id: uniqueID()))
        defer { spdk_memory_domain_destroy(shared) }
        spdk_memory_domain_set_pull(shared, Self.reentrantPull)
        let counter = CompletionCounter()
        let failures = Atomic<Int>(0)
        let prefix = uniqueID()
        let sharedAddress = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(shared)))
        onThreads(Self.threads) { t in
            let domain = CDomain(bitPattern: sharedAddress)
            "\(prefix)-\(t)".withCString { id in
                for _ in 0..<200 {
                    let rc = spdk_memory_domain_pull_data(domain, UnsafeMutableRawPointer(mutating: id), nil, 0, nil, 0,
                                                          CompletionCounter.callback, counter.argument)
                    if rc != 0 { failures.add(1, ordering: .relaxed) }
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(counter.count.load(ordering: .relaxed) == Self.threads * 200)
        for t in 0..<Self.threads { #expect(cFirst(id: "\(prefix)-\(t)") == nil) }
    }

    @Test("async operations from many tasks, completed from many threads")
    func asyncFromManyTasks() async throws {
        let fixture = try AsyncAPITests.Fixture(rc: 0, completion: .immediate(0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask { try await fixture.domain.pull(from: fixture.io.buffer, into: fixture.io2.buffer) }
            }
            try await group.waitForAll()
        }
        #expect(Recorder.calls(fixture.domain.c).count == 200)
    }
}
