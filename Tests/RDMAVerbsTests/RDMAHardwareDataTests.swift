import CDMAHostABI
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// RDMA WRITE (push) and READ (pull) of random data between host buffers, checked byte for byte.
@Suite("RDMAHardware: READ and WRITE move data byte-exact", .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareDataTests {
    @Test("push (RDMA WRITE), one buffer each side", arguments: [1, 100, 4096, 65536, 1 << 20, 8 << 20 + 13])
    func pushSingle(size: Int) async throws {
        let fixture = try RDMAFixture.get()
        var random = SplitMix64(seed: UInt64(size))
        let local = HostBuffer(count: size, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: size, invalidatingIn: fixture.engine)
        local.fillRandom(&random)
        try await withIOV([remote.entry()]) { dst in
            try await withIOV([local.entry()]) { src in try await fixture.domain.push(into: dst, from: src) }
        }
        #expect(memcmp(local.base, remote.base, size) == 0)
    }

    @Test("pull (RDMA READ), one buffer each side", arguments: [1, 4095, 65536, 4 << 20])
    func pullSingle(size: Int) async throws {
        let fixture = try RDMAFixture.get()
        var random = SplitMix64(seed: UInt64(size) &* 31)
        let remote = HostBuffer(count: size, invalidatingIn: fixture.engine)
        let local = HostBuffer(count: size, invalidatingIn: fixture.engine)
        remote.fillRandom(&random)
        try await withIOV([remote.entry()]) { src in
            try await withIOV([local.entry()]) { dst in try await fixture.spdkDomain.pull(from: src, into: dst) }
        }
        #expect(memcmp(local.base, remote.base, size) == 0)
    }

    @Test("push and pull with scatter-gather lists of different shapes, unaligned")
    func scatterGather() async throws {
        let fixture = try RDMAFixture.get()
        var random = SplitMix64(seed: 77)
        let local = HostBuffer(count: 3 * 65536, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: 3 * 65536, invalidatingIn: fixture.engine)
        local.fillRandom(&random)
        // 1000 + 5000 + 123 + 60000 bytes locally, 4000 + 2123 + 60000 in the domain.
        let source = [local.entry(offset: 3, length: 1000), local.entry(offset: 70000, length: 5000),
                      local.entry(offset: 9000, length: 123), local.entry(offset: 130001, length: 60000)]
        let target = [remote.entry(offset: 17, length: 4000), remote.entry(offset: 100000, length: 2123),
                      remote.entry(offset: 5000, length: 60000)]
        try await withIOV(target) { dst in try await withIOV(source) { src in try await fixture.domain.push(into: dst, from: src) } }
        #expect(HostBuffer.concatenated(target) == HostBuffer.concatenated(source))

        // And back: pull the domain buffers into a fresh 5-entry local list of the same total
        // (7 + 30000 + 16 + 35000 + 1100 = 66123 bytes).
        let back = HostBuffer(count: 80000, invalidatingIn: fixture.engine)
        let destination = [back.entry(offset: 1, length: 7), back.entry(offset: 100, length: 30000), back.entry(offset: 40000, length: 16),
                           back.entry(offset: 40100, length: 35000), back.entry(offset: 75200, length: 1100)]
        let expected = HostBuffer.concatenated(target)
        try await withIOV(target) { src in try await withIOV(destination) { dst in try await fixture.domain.pull(from: src, into: dst) } }
        #expect(HostBuffer.concatenated(destination) == expected)
    }

    @Test("More local entries than max_sge are split over several work requests")
    func moreEntriesThanMaxSGE() async throws {
        let fixture = try RDMAFixture.get()
        let entries = fixture.engine.maxSGE * 3 + 5
        var random = SplitMix64(seed: 5)
        let local = HostBuffer(count: entries * 128, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: entries * 64, invalidatingIn: fixture.engine)
        local.fillRandom(&random)
        // Every other 64-byte piece of `local`, gathered into one contiguous remote buffer.
        let source = (0..<entries).map { local.entry(offset: $0 * 128, length: 64) }
        let posted = fixture.engine.counters.posted
        try await withIOV([remote.entry()]) { dst in try await withIOV(source) { src in try await fixture.domain.push(into: dst, from: src) } }
        #expect(HostBuffer.concatenated([remote.entry()]) == HostBuffer.concatenated(source))
        #expect(fixture.engine.counters.posted - posted >= 4, "\(entries) entries need at least 4 requests of \(fixture.engine.maxSGE)")

        // Scatter it back with a READ (max_sge_rd applies).
        let scattered = HostBuffer(count: entries * 128, invalidatingIn: fixture.engine)
        let destination = (0..<entries).map { scattered.entry(offset: $0 * 128 + 64, length: 64) }
        try await withIOV([remote.entry()]) { src in try await withIOV(destination) { dst in try await fixture.domain.pull(from: src, into: dst) } }
        #expect(HostBuffer.concatenated(destination) == HostBuffer.concatenated(source))
    }

    @Test("transfer from the system domain is an RDMA WRITE into the RDMA domain")
    func transferFromSystem() async throws {
        let fixture = try RDMAFixture.get()
        var random = SplitMix64(seed: 9)
        let local = HostBuffer(count: 300_000, invalidatingIn: fixture.engine)
        let remote = HostBuffer(count: 300_000, invalidatingIn: fixture.engine)
        local.fillRandom(&random)
        try await withIOV([remote.entry(offset: 11, length: 250_000)]) { dst in
            try await withIOV([local.entry(offset: 0, length: 100_000), local.entry(offset: 150_000, length: 150_000)]) { src in
                try await fixture.domain.transfer(into: dst, from: .system, src)
            }
        }
        #expect(HostBuffer.concatenated([remote.entry(offset: 11, length: 250_000)])
                == HostBuffer.concatenated([local.entry(offset: 0, length: 100_000), local.entry(offset: 150_000, length: 150_000)])
                    .prefix(250_000).map { $0 })
    }

    @Test("Concurrent operations from many tasks all complete with the right bytes")
    func concurrent() async throws {
        let fixture = try RDMAFixture.get()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var random = SplitMix64(seed: UInt64(1000 + task))
                    let size = 1 + Int(random.next(upTo: UInt64(200_000)))
                    let local = HostBuffer(count: size, invalidatingIn: fixture.engine)
                    let remote = HostBuffer(count: size, invalidatingIn: fixture.engine)
                    let back = HostBuffer(count: size, invalidatingIn: fixture.engine)
                    local.fillRandom(&random)
                    for _ in 0..<5 {
                        try await withIOV([remote.entry()]) { dst in try await withIOV([local.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
                        try await withIOV([remote.entry()]) { src in try await withIOV([back.entry()]) { dst in try await fixture.domain.pull(from: src, into: dst) } }
                    }
                    return memcmp(local.base, back.base, size) == 0
                }
            }
            for try await same in group { #expect(same) }
        }
    }
}
