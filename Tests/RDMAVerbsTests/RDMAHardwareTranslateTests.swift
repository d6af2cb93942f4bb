import CDMAHostABI
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("RDMAHardware: translation to lkey/rkey and invalidation", .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareTranslateTests {
    @Test("translate returns the buffer and keys, the same for both domains of the device")
    func keys() throws {
        let fixture = try RDMAFixture.get()
        let buffer = HostBuffer(count: 10_000, invalidatingIn: fixture.engine)
        let result = try fixture.domain.translate(buffer.base + 5, length: 9000, to: fixture.domain)
        #expect(result.iov_count == 1)
        #expect(result.iov.iov_base == buffer.base + 5 && result.iov.iov_len == 9000)
        #expect(result.dst_domain.map(OpaquePointer.init) == fixture.domain.handle)
        #expect(result.rdma.lkey != 0 && result.rdma.rkey != 0)
        let again = try fixture.domain.translate(buffer.base, length: 1, to: fixture.spdkDomain)
        #expect(again.rdma.lkey == result.rdma.lkey && again.rdma.rkey == result.rdma.rkey, "same PD, same registration")
        #expect(again.dst_domain.map(OpaquePointer.init) == fixture.spdkDomain.handle)
    }

    @Test("The translated lkey moves data: transfer with the translation as the source")
    func keysWork() async throws {
        let fixture = try RDMAFixture.get()
        var random = SplitMix64(seed: 21)
        let source = HostBuffer(count: 50_000, invalidatingIn: fixture.engine)
        let target = HostBuffer(count: 50_000, invalidatingIn: fixture.engine)
        source.fillRandom(&random)
        let translation = UnsafeMutablePointer<spdk_memory_domain_translation_result>.allocate(capacity: 1)
        defer { translation.deallocate() }
        translation.initialize(to: try fixture.domain.translate(source.base, length: source.count, to: fixture.domain))
        try await withIOV([target.entry()]) { dst in
            try await withIOV([source.entry()]) { src in
                try await fixture.domain.transfer(into: dst, from: .system, src, translation: translation)
            }
        }
        #expect(memcmp(source.base, target.base, source.count) == 0)
    }

    @Test("Translating into the system domain is the identity")
    func identity() throws {
        let fixture = try RDMAFixture.get()
        let buffer = HostBuffer(count: 64, invalidatingIn: nil)
        let result = try fixture.domain.translate(buffer.base, length: 64, to: .system)
        #expect(result.iov_count == 1 && result.iov.iov_base == buffer.base && result.iov.iov_len == 64)
        #expect(result.rdma.lkey == 0 && result.rdma.rkey == 0)
    }

    @Test("Translating for a caller's protection domain registers there (via the destination's user context or the translation context's QP)")
    func foreignProtectionDomain() throws {
        let fixture = try RDMAFixture.get()
        let context = try VerbsDeviceList.open(name: fixture.engine.profile.name)
        let pd = try context.allocateProtectionDomain()
        var user = spdk_memory_domain_rdma_ctx(size: MemoryLayout<spdk_memory_domain_rdma_ctx>.size, ibv_pd: UnsafeMutableRawPointer(pd.raw))
        let foreign = try withUnsafeBytes(of: &user) { try MemoryDomain.create(type: .rdma, id: SPDK_RDMA_DMA_DEVICE, userContext: $0) }
        defer { foreign.destroy() }
        let buffer = HostBuffer(count: 8192, invalidatingIn: fixture.engine)
        let own = try fixture.domain.translate(buffer.base, length: 8192, to: fixture.domain)
        let before = fixture.engine.registrations.foreignDomainCount
        let theirs = try fixture.domain.translate(buffer.base, length: 8192, to: foreign)
        #expect(theirs.rdma.lkey != 0 && theirs.rdma.lkey != own.rdma.lkey, "a registration in the other PD has other keys")
        #expect(theirs.dst_domain.map(OpaquePointer.init) == foreign.handle)
        #expect(fixture.engine.registrations.foreignDomainCount == max(before, 1))
        // Invalidation drops it in every PD (before the foreign PD is deallocated).
        #expect(fixture.engine.invalidate(address: buffer.base, length: 8192) >= 2)
    }

    @Test("invalidate deregisters: the next translation is a new registration with new keys")
    func invalidate() throws {
        let fixture = try RDMAFixture.get()
        let buffer = HostBuffer(count: 4096 * 3, invalidatingIn: fixture.engine)
        let first = try fixture.domain.translate(buffer.base, length: buffer.count, to: fixture.domain)
        let deregistered = fixture.engine.registrationStatistics.deregistrations
        try withIOV([buffer.entry()]) { try fixture.domain.invalidate($0) }
        #expect(fixture.engine.registrationStatistics.deregistrations > deregistered)
        let second = try fixture.domain.translate(buffer.base, length: buffer.count, to: fixture.domain)
        #expect(second.rdma.rkey != first.rdma.rkey)
    }

    @Test("Bad arguments are refused with -EINVAL: zero length, NULL address, short result size")
    func badArguments() throws {
        let fixture = try RDMAFixture.get()
        let buffer = HostBuffer(count: 64, invalidatingIn: nil)
        #expect(throws: DMAError.self) { try fixture.domain.translate(buffer.base, length: 0, to: fixture.domain) }
        var result = spdk_memory_domain_translation_result()
        result.size = 8
        let rc = spdk_memory_domain_translate_data(UnsafeMutablePointer(fixture.domain.handle), nil,
                                                   UnsafeMutablePointer(fixture.domain.handle), nil, buffer.base, 64, &result)
        #expect(rc == -EINVAL)
    }
}

/// Synchronous variant of ``withIOV(_:_:)``.
func withIOV<R>(_ entries: [iovec], _ body: (UnsafeMutableBufferPointer<iovec>) throws -> R) rethrows -> R {
    var copy = entries
    return try copy.withUnsafeMutableBufferPointer { try body($0) }
}
