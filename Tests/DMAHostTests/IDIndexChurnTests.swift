import CDMAHostABI
import CDMAHostRegistry
@testable import DMAHost
import Foundation
import SeededRandom
import Testing

/// The id index against the list walk it replaces: random sequences of creates (several
/// domains per id, id-less ones in between) and destroys, and after every step get_first and
/// filtered get_next (from live domains, from destroyed ones and from the system domain)
/// answer what a walk of the whole list in creation order answers.
///
/// The expected answers come from a model of the test's own domains (each with its creation
/// order) and from `Registry.snapshot(id: nil)`, the list itself. Every id is unique to the
/// test, so domains other tests create meanwhile never match. Destroyed pointers are only
/// passed to get_next, inside `Registry.withReclamationDeferred`: no record is freed meanwhile,
/// so no new domain takes a destroyed one's address.
@Suite("Id index")
struct IDIndexChurnTests {
    /// One domain of the model.
    private struct Entry {
        let domain: CDomain
        /// Index into the test's ids; nil for an id-less domain.
        let id: Int?
        var live = true
    }

    /// The model's answers to get_next(prev, id) for every prev of `entries`: the first live
    /// domain created after it whose id is `id` (nil at the end). One pass from the newest.
    private func expectedNext(id: Int, in entries: [Entry]) -> [CDomain?] {
        var answers = [CDomain?](repeating: nil, count: entries.count)
        var following: CDomain?
        for position in entries.indices.reversed() {
            answers[position] = following
            if entries[position].live && entries[position].id == id { following = entries[position].domain }
        }
        return answers
    }

    /// Whether the registry no longer knows a destroyed domain: its tombstone left the graveyard
    /// after 16384 later destroys in the process (other suites destroy that many in parallel),
    /// and get_next from it is then NULL, as spdk/dma.h says. Under the reclamation hold no new
    /// record takes the address, so a forgotten pointer stays forgotten.
    private func forgotten(_ domain: CDomain) -> Bool {
        dmahost_registry_lock()
        defer { dmahost_registry_unlock() }
        return AddressTable.state(of: UInt(bitPattern: domain)) == nil
    }

    /// The domains with each of `ids` in the order the list holds them (one walk of the list).
    private func listWalk(_ ids: [String]) -> [String: [CDomain]] {
        let wanted = Set(ids)
        var found: [String: [CDomain]] = [:]
        for record in Registry.snapshot(id: nil) {
            guard let own = record.pointee.id else { continue }
            let id = String(cString: own)
            if wanted.contains(id) { found[id, default: []].append(CDomain(record)) }
        }
        return found
    }

    /// Runs `steps` random creates and destroys over `idCount` ids and checks every answer
    /// after each step; returns the problems found (at most 20).
    private func churn(seed: UInt64, steps: Int, idCount: Int, checkEvery: Int) -> [String] {
        var random = SeededGenerator(seed: seed)
        let prefix = uniqueID()
        let ids = (0..<idCount).map { "\(prefix)-\($0)" }
        var entries: [Entry] = []
        var problems: [String] = []
        func note(_ message: String) { if problems.count < 20 { problems.append("seed \(seed): \(message)") } }

        Registry.withReclamationDeferred {
            for step in 0..<steps {
                let live = entries.indices.filter { entries[$0].live }
                if live.isEmpty || Int.random(in: 0..<100, using: &random) < 55 {
                    // Create: mostly an id of the test (same ids repeat), sometimes none.
                    let id: Int? = Int.random(in: 0..<10, using: &random) == 0 ? nil : Int.random(in: 0..<idCount, using: &random)
                    guard let domain = cCreate(id: id.map { ids[$0] }) else { note("create failed at step \(step)"); return }
                    entries.append(Entry(domain: domain, id: id))
                } else if let victim = live.randomElement(using: &random) {
                    spdk_memory_domain_destroy(entries[victim].domain)
                    entries[victim].live = false
                }
                guard step % checkEvery == 0 || step == steps - 1 else { continue }
                let lists = listWalk(ids)
                for (number, id) in ids.enumerated() {
                    let expected = entries.filter { $0.live && $0.id == number }.map(\.domain)
                    let walked = cWalk(id: id)
                    if walked != expected { note("step \(step): walk of id \(number) is \(walked.count) domains, model \(expected.count)") }
                    if walked != lists[id, default: []] { note("step \(step): index walk of id \(number) differs from the list walk") }
                    if cFirst(id: id) != expected.first { note("step \(step): get_first of id \(number)") }
                    if cNext(spdk_memory_domain_get_system_domain(), id: id) != expected.first {
                        note("step \(step): get_next(system) of id \(number)")
                    }
                    let answers = expectedNext(id: number, in: entries)
                    for (position, entry) in entries.enumerated() {
                        let answer = cNext(entry.domain, id: id)
                        let wanted = answers[position]
                        if answer != wanted && !(answer == nil && !entry.live && forgotten(entry.domain)) {
                            note("step \(step): get_next from \(entry.live ? "live" : "destroyed") domain \(position) (id \(entry.id.map(String.init) ?? "none")), id \(number)")
                        }
                    }
                }
            }
            entries.filter(\.live).forEach { spdk_memory_domain_destroy($0.domain) }
        }
        return problems
    }

    @Test("a few ids, many domains each: the index agrees with the list walk", arguments: [1, 2, 3, 4] as [UInt64])
    func fewIDs(seed: UInt64) {
        let problems = churn(seed: seed, steps: 400, idCount: 3, checkEvery: 1)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("many ids: the index grows and shrinks and still agrees", arguments: [11, 12] as [UInt64])
    func manyIDs(seed: UInt64) {
        let problems = churn(seed: seed, steps: 1500, idCount: 150, checkEvery: 97)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("domains with the system domain's id follow it, in creation order")
    func systemID() throws {
        let system = spdk_memory_domain_get_system_domain()
        try Registry.withReclamationDeferred {
            let first = try #require(cCreate(id: "system"))
            let second = try #require(cCreate(id: "system"))
            defer { spdk_memory_domain_destroy(second) }
            #expect(cFirst(id: "system") == system)
            // Other tests may create domains with id "system" too: ours come in order after it.
            let walk = cWalk(id: "system")
            #expect(walk.first == system)
            #expect(walk.firstIndex(of: first).map { index in walk[(index + 1)...].contains(second) } == true)
            spdk_memory_domain_destroy(first)
            #expect(cFirst(id: "system") == system)
            #expect(!cWalk(id: "system").contains(first))
            #expect(cWalk(id: "system").contains(second))
        }
    }
}
