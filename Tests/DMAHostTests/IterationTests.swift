import CDMAHostABI
import DMAHost
import Foundation
import Testing

/// get_first/get_next: creation order, exact case-sensitive id match, prev need not match,
/// get_next(NULL, ..) is NULL, id-less domains are passed over. Every walk here is filtered
/// by an id unique to the test, or starts from the test's own domains, so that domains other
/// tests create and destroy in parallel are never dereferenced.
@Suite("Iteration")
struct IterationTests {
    /// Domains created for one test, destroyed together.
    private final class Fixture {
        var domains: [CDomain] = []
        func make(_ id: String?, _ type: spdk_dma_device_type = SPDK_DMA_DEVICE_TYPE_RDMA) throws -> CDomain {
            let domain = try #require(cCreate(type, id: id))
            domains.append(domain)
            return domain
        }
        func destroy(_ domain: CDomain) {
            domains.removeAll { $0 == domain }
            spdk_memory_domain_destroy(domain)
        }
        deinit { domains.forEach { spdk_memory_domain_destroy($0) } }
    }

    @Test("a filtered walk visits matching domains in creation order")
    func creationOrder() throws {
        let fixture = Fixture()
        let id = uniqueID()
        let domains = try (0..<10).map { _ in try fixture.make(id) }
        #expect(cFirst(id: id) == domains[0])
        #expect(cWalk(id: id) == domains)
        #expect(cNext(domains[9], id: id) == nil)
    }

    @Test("ids match exactly and case-sensitively")
    func exactMatch() throws {
        let fixture = Fixture()
        let id = uniqueID()
        let exact = try fixture.make(id)
        let upper = try fixture.make(id.uppercased())
        let longer = try fixture.make(id + "-suffix")
        let shorter = try fixture.make(String(id.dropLast()))
        let spaced = try fixture.make(id + " ")
        #expect(cWalk(id: id) == [exact])
        #expect(cWalk(id: id.uppercased()) == [upper])
        #expect(cWalk(id: id + "-suffix") == [longer])
        #expect(cWalk(id: String(id.dropLast())) == [shorter])
        #expect(cWalk(id: id + " ") == [spaced])
        #expect(cFirst(id: id.lowercased().capitalized) == nil)
        #expect(cFirst(id: uniqueID()) == nil)
    }

    @Test("get_next(NULL, id) is NULL")
    func nextOfNull() throws {
        let fixture = Fixture()
        let id = uniqueID()
        _ = try fixture.make(id)
        #expect(spdk_memory_domain_get_next(nil, nil) == nil)
        #expect(cNext(nil, id: id) == nil)
        #expect(cNext(nil, id: "system") == nil)
    }

    @Test("prev need not match the id")
    func prevNeedNotMatch() throws {
        let fixture = Fixture()
        let idA = uniqueID()
        let idB = uniqueID()
        let a1 = try fixture.make(idA)
        let b1 = try fixture.make(idB)
        let none = try fixture.make(nil)
        let a2 = try fixture.make(idA)
        let b2 = try fixture.make(idB)
        #expect(cNext(a1, id: idB) == b1)
        #expect(cNext(b1, id: idA) == a2)
        #expect(cNext(none, id: idA) == a2)
        #expect(cNext(none, id: idB) == b2)
        #expect(cNext(a2, id: idB) == b2)
        #expect(cNext(b2, id: idA) == nil)
        #expect(cNext(spdk_memory_domain_get_system_domain(), id: idA) == a1)
    }

    @Test("id-less domains do not disturb a filtered walk", arguments: [0, 1, 2, 5])
    func idLessDomains(interleaved: Int) throws {
        let fixture = Fixture()
        let id = uniqueID()
        var matching: [CDomain] = []
        for _ in 0..<3 {
            for _ in 0..<interleaved { _ = try fixture.make(nil, SPDK_DMA_DEVICE_TYPE_DMA) }
            matching.append(try fixture.make(id))
        }
        for _ in 0..<interleaved { _ = try fixture.make(nil) }
        #expect(cWalk(id: id) == matching)
    }

    @Test("destroying the first, a middle and the last match keeps the walk consistent")
    func removals() throws {
        let fixture = Fixture()
        let id = uniqueID()
        let d = try (0..<5).map { _ in try fixture.make(id) }
        fixture.destroy(d[2])
        #expect(cWalk(id: id) == [d[0], d[1], d[3], d[4]])
        fixture.destroy(d[0])
        #expect(cWalk(id: id) == [d[1], d[3], d[4]])
        fixture.destroy(d[4])
        #expect(cWalk(id: id) == [d[1], d[3]])
        let appended = try fixture.make(id)
        #expect(cWalk(id: id) == [d[1], d[3], appended])
        #expect(cNext(d[1], id: id) == d[3])
    }

    @Test("the system domain is first in every unfiltered walk")
    func systemFirst() throws {
        let fixture = Fixture()
        _ = try fixture.make(uniqueID())
        #expect(spdk_memory_domain_get_first(nil) == spdk_memory_domain_get_system_domain())
        #expect(cFirst(id: "system") == spdk_memory_domain_get_system_domain())
    }

    @Test("MemoryDomain.all lists the system domain first and the test's domains in creation order")
    func swiftAll() throws {
        let fixture = Fixture()
        let id = uniqueID()
        let mine = try (0..<6).map { i in try fixture.make(i % 2 == 0 ? id : nil) }
        let all = MemoryDomain.all()
        #expect(all.first == MemoryDomain.system)
        let positions = mine.map { domain in all.firstIndex { $0.c == domain } }
        #expect(positions.allSatisfy { $0 != nil })
        let found = positions.compactMap { $0 }
        #expect(found == found.sorted())
        #expect(MemoryDomain.all(id: id).map(\.c) == [mine[0], mine[2], mine[4]])
        #expect(MemoryDomain.first(id: id)?.c == mine[0])
        #expect(MemoryDomain.all(id: uniqueID()).isEmpty)
        #expect(MemoryDomain.first(id: uniqueID()) == nil)
        #expect(MemoryDomain.all(id: "system").first == MemoryDomain.system)
    }
}
