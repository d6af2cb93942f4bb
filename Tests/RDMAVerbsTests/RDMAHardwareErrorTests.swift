import CDMAHostABI
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension RDMAEngine {
    /// Starts an operation and waits for its completion; returns the synchronous error or the
    /// completion status.
    func run(_ kind: OperationKind, remote: Buffers, local: Buffers) async -> Int32 {
        await withCheckedContinuation { continuation in
            let rc = start(kind, remote: remote, local: local, completion: .closure { continuation.resume(returning: $0) })
            if rc != 0 { continuation.resume(returning: rc) }
        }
    }
}

/// Pushes `count` random bytes and checks they arrived: the device still works.
func assertDataStillMoves(_ fixture: RDMAFixture, count: Int = 100_000, seed: UInt64 = 99) async throws {
    var random = SplitMix64(seed: seed)
    let local = HostBuffer(count: count, invalidatingIn: fixture.engine)
    let remote = HostBuffer(count: count, invalidatingIn: fixture.engine)
    local.fillRandom(&random)
    try await withIOV([remote.entry()]) { dst in try await withIOV([local.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
    #expect(memcmp(local.base, remote.base, count) == 0, "data must move after an error")
}

/// Each test opens the device privately: an error flushes every request in flight on the
/// queue pair, and must not cancel other suites' operations.
@Suite("RDMAHardware: error completions report -errno and the device recovers", .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareErrorTests {
    @Test("A translation used after invalidate is refused with -EFAULT before anything is posted; the device keeps working")
    func staleLocalKey() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        let source = HostBuffer(count: 16384, invalidatingIn: fixture.engine)
        let target = HostBuffer(count: 16384, invalidatingIn: fixture.engine)
        let translation = UnsafeMutablePointer<spdk_memory_domain_translation_result>.allocate(capacity: 1)
        defer { translation.deallocate() }
        translation.initialize(to: try fixture.domain.translate(source.base, length: source.count, to: fixture.domain))
        try withIOV([source.entry()]) { try fixture.domain.invalidate($0) }
        let posted = fixture.engine.counters.posted
        let error = await #expect(throws: DMAError.self) {
            try await withIOV([target.entry()]) { dst in
                try await withIOV([source.entry()]) { src in
                    try await fixture.domain.transfer(into: dst, from: .system, src, translation: translation)
                }
            }
        }
        #expect(error?.errno == EFAULT, "got \(String(describing: error))")
        #expect(fixture.engine.counters.posted == posted, "nothing may be posted with a stale key")
        try await assertDataStillMoves(fixture)
    }

    @Test("A key of a live translation is held for the operation: invalidating right after starting it does not break it")
    func keyHeldDuringOperation() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        var random = SplitMix64(seed: 8)
        let source = HostBuffer(count: 4 << 20, invalidatingIn: fixture.engine)
        let target = HostBuffer(count: 4 << 20, invalidatingIn: fixture.engine)
        source.fillRandom(&random)
        let translation = try fixture.domain.translate(source.base, length: source.count, to: fixture.domain)
        let keyed = [KeyedSegment(address: UInt64(UInt(bitPattern: source.base)), length: UInt64(source.count), key: translation.rdma.lkey)]
        let rc: Int32 = await withCheckedContinuation { continuation in
            let started = withIOV([target.entry()]) { dst in
                fixture.engine.start(.write, remote: .host(UnsafeBufferPointer(dst)), local: .keyed(keyed),
                                     completion: .closure { continuation.resume(returning: $0) })
            }
            fixture.engine.invalidate(address: source.base, length: source.count)
            if started != 0 { continuation.resume(returning: started) }
        }
        #expect(rc == 0)
        #expect(memcmp(source.base, target.base, source.count) == 0)
    }

    @Test("A bad rkey completes with -EACCES for WRITE and for READ; the next operation works", arguments: [OperationKind.write, .read])
    func badRemoteKey(kind: OperationKind) async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        let local = HostBuffer(count: 8192, invalidatingIn: fixture.engine)
        let unregistered = HostBuffer(count: 8192, invalidatingIn: nil)
        let bogus = KeyedSegment(address: UInt64(UInt(bitPattern: unregistered.base)), length: 8192, key: 0x00AB_CD00)
        let rc = await withIOV([local.entry()]) { local in
            await fixture.engine.run(kind, remote: .keyed([bogus]), local: .host(UnsafeBufferPointer(local)))
        }
        #expect(rc == -EACCES)
        try await assertDataStillMoves(fixture, seed: kind == .read ? 1 : 2)
    }

    @Test("An error among many operations in flight: every one completes once, the good ones with 0 or -ECANCELED")
    func errorAmongMany() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        var random = SplitMix64(seed: 3)
        let size = 32768
        let buffers = (0..<64).map { _ in (HostBuffer(count: size, invalidatingIn: fixture.engine), HostBuffer(count: size, invalidatingIn: fixture.engine)) }
        for (local, _) in buffers { local.fillRandom(&random) }
        let unregistered = HostBuffer(count: size, invalidatingIn: nil)
        let results = await withTaskGroup(of: (Int, Int32).self) { group in
            for (index, pair) in buffers.enumerated() {
                group.addTask {
                    let bad = index == 20
                    let rc = await withIOV([pair.0.entry()]) { local in
                        await withIOV([pair.1.entry()]) { remote in
                            let remoteSide: RDMAEngine.Buffers = bad
                                ? .keyed([KeyedSegment(address: UInt64(UInt(bitPattern: unregistered.base)), length: UInt64(size), key: 0x00BA_D000)])
                                : .host(UnsafeBufferPointer(remote))
                            return await fixture.engine.run(.write, remote: remoteSide, local: .host(UnsafeBufferPointer(local)))
                        }
                    }
                    return (index, rc)
                }
            }
            var results: [Int: Int32] = [:]
            for await (index, rc) in group { results[index] = rc }
            return results
        }
        #expect(results.count == buffers.count)
        #expect(results[20] == -EACCES || results[20] == -ECANCELED)
        for (index, rc) in results where index != 20 {
            #expect(rc == 0 || rc == -ECANCELED, "operation \(index): \(rc)")
            if rc == 0 { #expect(memcmp(buffers[index].0.base, buffers[index].1.base, size) == 0) }
        }
        try await assertDataStillMoves(fixture, seed: 4)
    }

    @Test("Synchronous refusals of the engine: a local side of another length is -EINVAL, a NULL buffer -EFAULT (the errnos of dmahost/iovec.h), and no completion is called")
    func synchronousErrors() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        let local = HostBuffer(count: 300, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: 200, invalidatingIn: fixture.engine)
        for localLength in [100, 300] {
            let rc = withIOV([remote.entry()]) { dst in
                withIOV([local.entry(length: localLength)]) { src in
                    fixture.engine.write(remote: UnsafeBufferPointer(dst), from: UnsafeBufferPointer(src),
                                         completion: .closure { _ in Issue.record("a refused operation must not complete") })
                }
            }
            #expect(rc == -EINVAL, "local side of \(localLength) bytes, remote 200")
        }
        let null = withIOV([iovec(iov_base: nil, iov_len: 10)]) { dst in
            withIOV([local.entry(length: 10)]) { src in
                fixture.engine.write(remote: UnsafeBufferPointer(dst), from: UnsafeBufferPointer(src),
                                     completion: .closure { _ in Issue.record("a refused operation must not complete") })
            }
        }
        #expect(null == -EFAULT)
        let tooLong = withIOV([remote.entry(), iovec(iov_base: remote.base, iov_len: -1)]) { dst in
            withIOV([local.entry(length: 200)]) { src in
                fixture.engine.write(remote: UnsafeBufferPointer(dst), from: UnsafeBufferPointer(src),
                                     completion: .closure { _ in Issue.record("a refused operation must not complete") })
            }
        }
        #expect(tooLong == -EINVAL, "an entry of SIZE_MAX bytes is refused, not skipped")
    }

    @Test("An operation with no bytes is refused with -EINVAL: a completion with 0 would claim that bytes moved")
    func empty() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        do {
            try await withIOV([]) { dst in try await withIOV([]) { src in try await fixture.domain.push(into: dst, from: src) } }
            Issue.record("a push of 0 bytes succeeded")
        } catch let error as DMAError {
            #expect(error.errno == EINVAL, "\(error)")
        }
        let rc = withIOV([]) { dst in
            withIOV([]) { src in
                fixture.engine.write(remote: UnsafeBufferPointer(dst), from: UnsafeBufferPointer(src),
                                     completion: .closure { _ in Issue.record("a refused operation must not complete") })
            }
        }
        #expect(rc == -EINVAL)
    }
}
