import CDMAHostABI
import DMADriverKit
import DMAHost
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the tests' domains are owned by (here and in OwnerCacheStaleEntryTests).
final class TestOwner: Sendable {
    let name: String
    init(_ name: String) { self.name = name }
}

/// The instance the test pull callback looks its owner up in.
private let callbackDomains = DomainOwnership<TestOwner>()
/// One instance per test (instances are kept in globals, as backends keep theirs).
private let rdmaDomains = DomainOwnership<TestOwner>()
private let paddedDomains = DomainOwnership<TestOwner>()
private let mineDomains = DomainOwnership<TestOwner>()
private let otherDomains = DomainOwnership<TestOwner>()
private let releasingDomains = DomainOwnership<TestOwner>()
private let refusedDomains = DomainOwnership<TestOwner>()
private let manyDomains = DomainOwnership<TestOwner>()
private let survivingDomains = DomainOwnership<TestOwner>()

/// A pull callback that answers with the length of its owner's name, or -ENODEV.
private let ownerNamePull = DomainCallbackSet(pull: { domain, _, _, _, _, _, _, _ in
    callbackDomains.withOwner(of: domain) { Int32($0.name.utf8.count) } ?? -ENODEV
})

/// The registry's view of a domain pointer (this module sees `struct spdk_memory_domain`).
private func registryDomain<Domain>(_ domain: OpaquePointer) -> UnsafeMutablePointer<Domain> {
    UnsafeMutablePointer(domain)
}

/// The kit's DomainOwnership against this binary's registry (TestHost): the owner found from a
/// domain, the public user context left as it was, other domains refused, revoke and destroy.
@Suite("Domain ownership: owner lookup, public user context, revoke and destroy")
struct DomainOwnershipTests {
    @Test func theOwnerIsFoundAndTheRDMAContextReadsAsBefore() throws {
        let owner = TestOwner("rdma")
        var rdma = spdk_memory_domain_rdma_ctx(size: MemoryLayout<spdk_memory_domain_rdma_ctx>.size,
                                               ibv_pd: UnsafeMutableRawPointer(bitPattern: 0x1230))
        let host = try TestHost.api()
        let domain = try withUnsafeBytes(of: &rdma) { bytes throws(DMAError) in
            try rdmaDomains.createDomain(through: host, deviceID: "test:0", type: .rdma, id: "test:ownership-rdma",
                                       owner: owner, publicContext: bytes, callbacks: DomainCallbackSet())
        }
        defer { domain.destroy() }
        let foundTheOwner = rdmaDomains.withOwner(of: domain.pointer) { $0 === owner } == true
        #expect(foundTheOwner)
        let ownsIt = rdmaDomains.owns(domain.pointer)
        #expect(ownsIt)
        let keptTheHost = rdmaDomains.host?.table == host.table
        #expect(keptTheHost)

        var size = 0
        let user = try #require(spdk_memory_domain_get_user_context(registryDomain(domain.pointer), &size))
        #expect(size == MemoryLayout<spdk_memory_domain_rdma_ctx>.size + 24, "the public struct, then the kit's trailer")
        let seen = user.loadUnaligned(as: spdk_memory_domain_rdma_ctx.self)
        #expect(seen.size == MemoryLayout<spdk_memory_domain_rdma_ctx>.size)
        #expect(seen.ibv_pd == rdma.ibv_pd)
    }

    @Test func aPublicContextOfOddSizeIsPaddedAndKept() throws {
        let bytes: [UInt8] = [1, 2, 3, 4, 5]
        let host = try TestHost.api()
        let domain = try bytes.withUnsafeBytes { publicBytes throws(DMAError) in
            try paddedDomains.createDomain(through: host, deviceID: "test:0", type: .dma, id: "test:ownership-odd",
                                       owner: TestOwner("odd"), publicContext: publicBytes, callbacks: DomainCallbackSet())
        }
        defer { domain.destroy() }
        var size = 0
        let user = try #require(spdk_memory_domain_get_user_context(registryDomain(domain.pointer), &size))
        #expect(size == 8 + 24)
        #expect(Array(UnsafeRawBufferPointer(start: user, count: bytes.count)) == bytes)
        let foundTheOwner = paddedDomains.withOwner(of: domain.pointer) { $0.name } == "odd"
        #expect(foundTheOwner)
    }

    @Test func otherDomainsHaveNoOwner() throws {
        let domain = try mineDomains.createDomain(through: try TestHost.api(), deviceID: "test:0", type: .dma, id: "test:ownership-mine",
                                                owner: TestOwner("mine"), callbacks: DomainCallbackSet())
        defer { domain.destroy() }
        let otherFindsNoOwner = otherDomains.withOwner(of: domain.pointer) { $0.name } == nil
        #expect(otherFindsNoOwner, "another instance's domain")
        let otherOwnsIt = otherDomains.owns(domain.pointer)
        #expect(!otherOwnsIt)
        let nilHasNoOwner = mineDomains.withOwner(of: nil) { $0.name } == nil
        #expect(nilHasNoOwner)
        let ownsTheSystemDomain = mineDomains.owns(MemoryDomain.system.handle)
        #expect(!ownsTheSystemDomain, "no user context")

        // A domain whose user context is as long as a trailer but is someone else's bytes.
        var foreign = [UInt8](repeating: 0x5A, count: 40)
        let plain = try foreign.withUnsafeMutableBytes { bytes throws(DMAError) -> MemoryDomain in
            try MemoryDomain.create(type: .dma, id: "test:ownership-foreign", userContext: UnsafeRawBufferPointer(bytes))
        }
        defer { plain.destroy() }
        let ownsTheForeignDomain = mineDomains.owns(plain.handle)
        #expect(!ownsTheForeignDomain)
    }

    @Test func callbacksAreSetAndRevokeMakesThemAnswerNoDevice() throws {
        let domain = try callbackDomains.createDomain(through: try TestHost.api(), deviceID: "test:0", type: .dma,
                                                      id: "test:ownership-callbacks", owner: TestOwner("four"),
                                                      callbacks: ownerNamePull)
        var source = [UInt8](repeating: 1, count: 8), destination = [UInt8](repeating: 0, count: 8)
        func pull() -> Int32 {
            source.withUnsafeMutableBytes { src in
                destination.withUnsafeMutableBytes { dst in
                    var srcIov = iovec(iov_base: src.baseAddress, iov_len: src.count)
                    var dstIov = iovec(iov_base: dst.baseAddress, iov_len: dst.count)
                    return spdk_memory_domain_pull_data(registryDomain(domain.pointer), nil, &srcIov, 1, &dstIov, 1, { _, _ in }, nil)
                }
            }
        }
        #expect(pull() == 4)
        domain.revoke()
        #expect(domain.isRevoked)
        #expect(pull() == -ENODEV, "a revoked domain has no owner, though its callbacks are still set")
        #expect(domain.owner.name == "four", "the owner lives until destroy")
        domain.destroy()
        #expect(pull() == -ENOTSUP, "a destroyed domain's callbacks are cleared")
    }

    @Test("more domains than the lookup table holds: each finds its own owner, then none once destroyed")
    func manyDomainsFindTheirOwners() throws {
        let api = try TestHost.api()
        var domains: [OwnedDomain<TestOwner>] = []
        defer { for domain in domains { domain.destroy() } }
        for index in 0..<100 {
            domains.append(try manyDomains.createDomain(through: api, deviceID: "test:0", type: .dma, id: "test:ownership-many-\(index)",
                                                        owner: TestOwner("many-\(index)"), callbacks: DomainCallbackSet()))
        }
        for (index, domain) in domains.enumerated() {
            let name = manyDomains.withOwner(of: domain.pointer) { $0.name }
            let owned = manyDomains.owns(domain.pointer)
            let foreign = mineDomains.withOwner(of: domain.pointer) { _ in true }
            #expect(name == "many-\(index)" && owned)
            #expect(foreign == nil, "another instance's domain")
        }
        for domain in domains.prefix(50) { domain.destroy() }
        for (index, domain) in domains.enumerated() {
            let name = manyDomains.withOwner(of: domain.pointer) { $0.name }
            #expect(name == (index < 50 ? nil : "many-\(index)"), "destroyed domains have no owner, the others keep theirs")
        }
    }

    @Test("a domain keeps its owner when other domains are destroyed (its table entry is confirmed again)")
    func otherDestroysDoNotLoseTheOwner() throws {
        let api = try TestHost.api()
        let kept = try survivingDomains.createDomain(through: api, deviceID: "test:0", type: .dma, id: "test:ownership-kept",
                                                     owner: TestOwner("kept"), callbacks: DomainCallbackSet())
        defer { kept.destroy() }
        for round in 0..<3 {
            let gone = try survivingDomains.createDomain(through: api, deviceID: "test:0", type: .dma, id: "test:ownership-gone",
                                                         owner: TestOwner("gone"), callbacks: DomainCallbackSet())
            let goneName = survivingDomains.withOwner(of: gone.pointer) { $0.name }
            gone.destroy()
            let first = survivingDomains.withOwner(of: kept.pointer) { $0.name }
            let second = survivingDomains.withOwner(of: kept.pointer) { $0.name }
            let destroyedName = survivingDomains.withOwner(of: gone.pointer) { $0.name }
            #expect(goneName == "gone" && first == "kept" && second == "kept", "round \(round)")
            #expect(destroyedName == nil, "round \(round)")
        }
    }

    @Test func destroyReleasesTheOwnerOnce() throws {
        weak var released: TestOwner?
        let domain: OwnedDomain<TestOwner>
        do {
            let owner = TestOwner("released")
            released = owner
            domain = try releasingDomains.createDomain(through: try TestHost.api(), deviceID: "test:0", type: .dma,
                                                id: "test:ownership-release", owner: owner, callbacks: DomainCallbackSet())
        }
        #expect(released != nil, "the domain keeps its owner alive")
        domain.destroy()
        domain.destroy()
        domain.revoke()
        #expect(released == nil)
        let ownsDestroyed = releasingDomains.owns(domain.pointer)
        #expect(!ownsDestroyed, "a destroyed domain (in the host's quarantine) has no owner")
    }

    @Test func aRefusedDomainDoesNotKeepItsOwner() throws {
        let refusing = UnsafeMutablePointer<dmahost_host_api>.allocate(capacity: 1)
        defer { refusing.deallocate() }
        refusing.initialize(to: TestHost.table.pointee)
        refusing.pointee.domain_create = { _, _, _, _, _, _ in -EPERM }
        weak var released: TestOwner?
        do {
            let owner = TestOwner("refused")
            released = owner
            let refusingHost = try HostAPI(UnsafePointer(refusing))
            var refusal: DMAError?
            do throws(DMAError) {
                _ = try refusedDomains.createDomain(through: refusingHost, deviceID: "test:0", type: .dma,
                                               id: "test:ownership-refused", owner: owner, callbacks: DomainCallbackSet())
            } catch {
                refusal = error
            }
            #expect(refusal != nil)
        }
        #expect(released == nil)
    }
}
