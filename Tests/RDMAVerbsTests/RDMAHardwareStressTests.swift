import CDMAHostABI
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// How many times an operation's completion was called, and with what.
struct CompletionRecord: ~Copyable {
    let calls = Atomic<Int>(0)
    let status = Atomic<Int32>(Int32.min)
}

/// The C completion callback of the stress tests: `arg` points at a ``CompletionRecord``.
let recordCompletion: spdk_memory_domain_data_cpl_cb = { argument, rc in
    guard let record = argument?.assumingMemoryBound(to: CompletionRecord.self) else { return }
    record.pointee.status.store(rc, ordering: .relaxed)
    record.pointee.calls.add(1, ordering: .sequentiallyConsistent)
}

/// `count` records, deallocated by the caller with `deallocateRecords`.
func allocateRecords(_ count: Int) -> UnsafeMutablePointer<CompletionRecord> {
    let records = UnsafeMutablePointer<CompletionRecord>.allocate(capacity: count)
    for index in 0..<count { (records + index).initialize(to: CompletionRecord()) }
    return records
}

func deallocateRecords(_ records: UnsafeMutablePointer<CompletionRecord>, _ count: Int) {
    records.deinitialize(count: count)
    records.deallocate()
}

/// Waits (bounded, so a lost completion fails instead of hanging) until every record in `indices` was called.
func waitForCompletions(_ records: UnsafeMutablePointer<CompletionRecord>, _ indices: [Int], limitSeconds: Int = 600) async throws {
    for _ in 0..<(limitSeconds * 100) {
        if indices.allSatisfy({ records[$0].calls.load(ordering: .sequentiallyConsistent) > 0 }) { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    let missing = indices.filter { records[$0].calls.load(ordering: .sequentiallyConsistent) == 0 }
    Issue.record("\(missing.count) operations never completed (first: \(missing.prefix(10)))")
}

@Suite("RDMAHardware: many operations, back-pressure and close", .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareStressTests {
    enum Kind: CaseIterable { case push, pull, transfer, scatterPush, scatterPull, badKey }

    @Test("10,000 mixed operations (READ, WRITE, transfer, scatter-gather, some with a bad rkey) each complete exactly once")
    func tenThousand() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        let count = 10_000
        let slot = 4096
        var random = SplitMix64(seed: 10_000)
        let local = HostBuffer(count: count * slot, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: count * slot, invalidatingIn: fixture.engine)
        let unregistered = HostBuffer(count: slot, invalidatingIn: nil)
        let records = allocateRecords(count)
        defer { deallocateRecords(records, count) }
        let clock = ContinuousClock()
        let t0 = clock.now

        var kinds: [Kind] = []
        var lengths: [Int] = []
        for index in 0..<count {
            let kind: Kind = index % 997 == 500 ? .badKey : [.push, .pull, .transfer, .scatterPush, .scatterPull][Int(random.next(upTo: UInt64(5)))]
            let length = 3 + Int(random.next(upTo: UInt64(slot - 3)))
            kinds.append(kind)
            lengths.append(length)
            let from = kind == .pull || kind == .scatterPull ? remote : local
            var value = random.next()
            for offset in stride(from: 0, to: length, by: 8) { memcpy(from.base + index * slot + offset, &value, min(8, length - offset)); value = value &* 6364136223846793005 &+ 1 }
        }
        let domain = fixture.domain.handle
        let system = spdk_memory_domain_get_system_domain()
        var busy = 0
        for index in 0..<count {
            let l = local.base + index * slot
            let r = remote.base + index * slot
            let length = lengths[index]
            let third = length / 3
            var localIOV = kinds[index] == .scatterPush || kinds[index] == .scatterPull
                ? [iovec(iov_base: l, iov_len: third), iovec(iov_base: l + third, iov_len: third), iovec(iov_base: l + 2 * third, iov_len: length - 2 * third)]
                : [iovec(iov_base: l, iov_len: length)]
            var remoteIOV = kinds[index] == .scatterPush || kinds[index] == .scatterPull
                ? [iovec(iov_base: r, iov_len: length - third), iovec(iov_base: r + length - third, iov_len: third)]
                : [iovec(iov_base: r, iov_len: length)]
            let argument = UnsafeMutableRawPointer(records + index)
            while true {
                let rc: Int32 = localIOV.withUnsafeMutableBufferPointer { lv in
                    remoteIOV.withUnsafeMutableBufferPointer { rv in
                        switch kinds[index] {
                        case .push, .scatterPush:
                            spdk_memory_domain_push_data(UnsafeMutablePointer(domain), nil, rv.baseAddress, UInt32(rv.count), lv.baseAddress, UInt32(lv.count), recordCompletion, argument)
                        case .pull, .scatterPull:
                            spdk_memory_domain_pull_data(UnsafeMutablePointer(domain), nil, rv.baseAddress, UInt32(rv.count), lv.baseAddress, UInt32(lv.count), recordCompletion, argument)
                        case .transfer:
                            spdk_memory_domain_transfer_data(UnsafeMutablePointer(domain), nil, rv.baseAddress, UInt32(rv.count), system, nil, lv.baseAddress, UInt32(lv.count), nil, recordCompletion, argument)
                        case .badKey:
                            // Through the engine: the C ABI never takes a caller's rkey.
                            fixture.engine.start(.write, remote: .keyed([KeyedSegment(address: UInt64(UInt(bitPattern: unregistered.base)), length: UInt64(length), key: 0x00BA_D000)]),
                                                 local: .host(UnsafeBufferPointer(lv)), completion: .callback(recordCompletion, argument))
                        }
                    }
                }
                if rc == -EAGAIN {
                    busy += 1
                    try await Task.sleep(for: .milliseconds(1))
                    continue
                }
                #expect(rc == 0, "operation \(index) refused with \(rc)")
                break
            }
        }
        try await waitForCompletions(records, Array(0..<count))
        try await Task.sleep(for: .milliseconds(200)) // a duplicate completion would show up here

        var tally: [Int32: Int] = [:]
        var wrong = 0
        for index in 0..<count {
            let calls = records[index].calls.load(ordering: .sequentiallyConsistent)
            let status = records[index].status.load(ordering: .sequentiallyConsistent)
            #expect(calls == 1, "operation \(index) completed \(calls) times")
            tally[status, default: 0] += 1
            if kinds[index] == .badKey {
                #expect(status == -EACCES || status == -ECANCELED, "bad-rkey operation \(index): \(status)")
            } else {
                #expect(status == 0 || status == -ECANCELED, "operation \(index): \(status)")
                if status == 0, memcmp(local.base + index * slot, remote.base + index * slot, lengths[index]) != 0 { wrong += 1 }
            }
        }
        print("10,000 operations in \(clock.now - t0): statuses \(tally), \(busy) -EAGAIN retries, \(fixture.engine.counters), \(fixture.engine.registrationStatistics)")
        #expect(wrong == 0, "\(wrong) successful operations moved wrong bytes")
        #expect((tally[-EACCES] ?? 0) >= 1, "the bad rkeys must fail with -EACCES")
        #expect((tally[0] ?? 0) >= count * 9 / 10)
        #expect(fixture.engine.counters.recoveries >= 1)
        let counters = fixture.engine.counters
        #expect(counters.completionEntries < counters.posted, "selective signaling: fewer completions than requests")
        try await assertDataStillMoves(fixture, seed: 10_001)
    }

    @Test("A full queue refuses with -EAGAIN (no completion), and every accepted operation completes once")
    func backPressure() async throws {
        var configuration = EngineConfiguration()
        configuration.queueDepth = 2
        configuration.maxQueuedOperations = 3
        let fixture = try RDMAFixture.makePrivate(configuration)
        defer { fixture.close() }
        // 8 MiB operations take the emulated device far longer than submitting 12 of them takes
        // (even instrumented): 2 in flight and 3 queued, so the others meet a full queue.
        let count = 12
        let size = 8 << 20
        let local = HostBuffer(count: count * size, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: count * size, invalidatingIn: fixture.engine)
        // Register both arenas first, so that submission is not slowed by registration.
        _ = try fixture.domain.translate(local.base, length: local.count, to: fixture.domain)
        _ = try fixture.domain.translate(remote.base, length: remote.count, to: fixture.domain)
        let records = allocateRecords(count)
        defer { deallocateRecords(records, count) }
        var accepted: [Int] = []
        var refused = 0
        for index in 0..<count {
            var l = [local.entry(offset: index * size, length: size)]
            var r = [remote.entry(offset: index * size, length: size)]
            let rc = l.withUnsafeMutableBufferPointer { lv in
                r.withUnsafeMutableBufferPointer { rv in
                    spdk_memory_domain_push_data(UnsafeMutablePointer(fixture.domain.handle), nil, rv.baseAddress, 1, lv.baseAddress, 1,
                                                 recordCompletion, UnsafeMutableRawPointer(records + index))
                }
            }
            if rc == 0 { accepted.append(index) } else {
                #expect(rc == -EAGAIN)
                refused += 1
            }
        }
        try await waitForCompletions(records, accepted)
        try await Task.sleep(for: .milliseconds(100))
        #expect(refused > 0, "12 long operations into 2 slots and a queue of 3 must meet back-pressure")
        for index in 0..<count {
            let calls = records[index].calls.load(ordering: .sequentiallyConsistent)
            #expect(calls == (accepted.contains(index) ? 1 : 0), "operation \(index): \(calls) completions")
            if accepted.contains(index) { #expect(records[index].status.load(ordering: .sequentiallyConsistent) == 0) }
        }
        #expect(fixture.engine.counters.refusedBusy == UInt64(refused))
    }

    @Test("Closing with operations in flight completes each once (0 or -ECANCELED) and refuses new ones")
    func closeWithOperationsInFlight() async throws {
        let fixture = try RDMAFixture.makePrivate()
        let count = 400
        let local = HostBuffer(count: count * 32768, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: count * 32768, invalidatingIn: fixture.engine)
        let records = allocateRecords(count)
        defer { deallocateRecords(records, count) }
        var accepted: [Int] = []
        for index in 0..<count {
            let rc = withIOV([remote.entry(offset: index * 32768, length: 32768)]) { rv in
                withIOV([local.entry(offset: index * 32768, length: 32768)]) { lv in
                    fixture.engine.write(remote: UnsafeBufferPointer(rv), from: UnsafeBufferPointer(lv),
                                         completion: .callback(recordCompletion, UnsafeMutableRawPointer(records + index)))
                }
            }
            if rc == 0 { accepted.append(index) }
        }
        fixture.close()
        // close() returns after the completion thread delivered everything.
        var statuses: [Int32: Int] = [:]
        for index in accepted {
            #expect(records[index].calls.load(ordering: .sequentiallyConsistent) == 1, "operation \(index)")
            statuses[records[index].status.load(ordering: .sequentiallyConsistent), default: 0] += 1
        }
        #expect(Set(statuses.keys).isSubset(of: [0, -ECANCELED]), "\(statuses)")
        let rc = withIOV([remote.entry(offset: 0, length: 10)]) { rv in
            withIOV([local.entry(offset: 0, length: 10)]) { lv in
                fixture.engine.write(remote: UnsafeBufferPointer(rv), from: UnsafeBufferPointer(lv),
                                     completion: .closure { _ in Issue.record("must not complete after close") })
            }
        }
        #expect(rc == -ECANCELED)
        let stillRouted = DomainBinding.domains.owns(fixture.domain.handle)
        #expect(!stillRouted, "closed domains are no longer routed")
        print("close with \(accepted.count) operations accepted: \(statuses)")
    }
}
