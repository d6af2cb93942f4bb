import CDMAHostABI
import DMADriverKit
import DMASync
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The instance under test (its first host table is the simulated one).
private let staleDomains = DomainOwnership<TestOwner>()

/// A host whose registry the test controls, so that it can do what the real one does only
/// after 1024 later destroys and by the allocator's choice: free a destroyed domain and create
/// another one at the same address. Domains are blocks of this host's own; each address has
/// the user context the host answers with at the moment.
private enum SimulatedHost {
    /// Address of each domain → its user context copy (kept allocated for the whole run, so
    /// that a stale owner word never points into freed memory during the test).
    static let contexts = Locked<[UInt: UnsafeMutableRawBufferPointer]>([:])
    /// User contexts replaced at their address, kept allocated (and reachable) for the same reason.
    static let replaced = Locked<[UnsafeMutableRawBufferPointer]>([])
    /// The host's count of destroyed domains (`dmahost_host_api.domains_destroyed`).
    // nonisolated(unsafe): set once here, then accessed only through its atomic.
    nonisolated(unsafe) static let destroyed: UnsafeMutablePointer<Atomic<UInt64>> = {
        let word = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: 1)
        word.initialize(to: Atomic(0))
        return word
    }()

    // nonisolated(unsafe): written once by the lazy initialiser, immutable afterwards.
    nonisolated(unsafe) static let table: UnsafePointer<dmahost_host_api> = {
        let table = UnsafeMutablePointer<dmahost_host_api>.allocate(capacity: 1)
        // The test host's table, with this host's registry in place of the real one.
        var api = TestHost.table.pointee
        api.domain_create = { _, _, out, _, context, _ in
            guard let out, let context, let user = context.pointee.user_ctx else { return -EINVAL }
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: context.pointee.user_ctx_size, alignment: 16)
            copy.copyMemory(from: UnsafeRawBufferPointer(start: user, count: context.pointee.user_ctx_size))
            let record = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 16)
            contexts.withLock { $0[UInt(bitPattern: record)] = copy }
            out.pointee = .init(OpaquePointer(record))
            return 0
        }
        api.domain_destroy = { _, _ in }
        // Its domains are not the registry's: no callbacks are set on them.
        api.spdk_memory_domain_set_translation = nil
        api.spdk_memory_domain_set_invalidate = nil
        api.spdk_memory_domain_set_pull = nil
        api.spdk_memory_domain_set_push = nil
        api.spdk_memory_domain_set_data_transfer = nil
        api.spdk_memory_domain_set_memzero = nil
        api.spdk_memory_domain_get_user_context = { domain, size in
            guard let domain, let copy = contexts.withLock({ $0[UInt(bitPattern: UnsafeRawPointer(domain))] }) else { return nil }
            size?.pointee = copy.count
            return copy.baseAddress
        }
        api.domains_destroyed = UnsafeRawPointer(destroyed).assumingMemoryBound(to: UInt64.self)
        table.initialize(to: api)
        return UnsafePointer(table)
    }()

    /// Destroys `domain` without its owner's knowledge, and creates a domain of another
    /// backend (a user context without the kit's trailer) at its address.
    static func replaceBehindTheOwnersBack(_ domain: OpaquePointer) {
        destroyed.pointee.wrappingAdd(1, ordering: .relaxed)
        let foreign = UnsafeMutableRawBufferPointer.allocate(byteCount: 48, alignment: 16)
        foreign.initializeMemory(as: UInt8.self, repeating: 0x5A)
        let previous = contexts.withLock { $0.updateValue(foreign, forKey: UInt(bitPattern: UnsafeRawPointer(domain))) }
        if let previous { replaced.withLock { $0.append(previous) } }
    }
}

/// The owner table of ``DomainOwnership`` against a domain the host destroyed behind its
/// owner's back: the table must not answer for whatever the address holds next.
@Suite("Domain ownership: a table entry does not outlive its domain")
struct OwnerCacheStaleEntryTests {
    @Test("a domain created at the address of one destroyed behind its owner's back is not the owner's")
    func aStaleEntryDoesNotAnswerForANewDomain() throws {
        let host = try HostAPI(SimulatedHost.table)
        let domain = try staleDomains.createDomain(through: host, deviceID: "sim:0", type: .dma, id: "sim:stale",
                                                   owner: TestOwner("first"), callbacks: DomainCallbackSet())
        defer { domain.destroy() }
        let before = staleDomains.withOwner(of: domain.pointer) { $0.name }
        #expect(before == "first")

        SimulatedHost.replaceBehindTheOwnersBack(domain.pointer)
        let after = staleDomains.withOwner(of: domain.pointer) { $0.name }
        #expect(after == nil, "another backend's domain at a reused address")
        let owned = staleDomains.owns(domain.pointer)
        #expect(!owned)
    }

    @Test("after an unrelated destroy the entry is confirmed through the host and answers again")
    func anEntryIsConfirmedAgainAfterADestroy() throws {
        let host = try HostAPI(SimulatedHost.table)
        let domain = try staleDomains.createDomain(through: host, deviceID: "sim:0", type: .dma, id: "sim:kept",
                                                   owner: TestOwner("kept"), callbacks: DomainCallbackSet())
        defer { domain.destroy() }
        SimulatedHost.destroyed.pointee.wrappingAdd(1, ordering: .relaxed)
        let names = (0..<3).map { _ in staleDomains.withOwner(of: domain.pointer) { $0.name } }
        #expect(names == ["kept", "kept", "kept"])
        domain.revoke()
        let revoked = staleDomains.withOwner(of: domain.pointer) { $0.name }
        #expect(revoked == nil)
    }
}
