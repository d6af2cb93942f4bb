import CDMAHostABI
import CDMAHostRegistry
@testable import DMAHost
import Foundation
import Testing

/// What the library does with a pointer to a destroyed domain: get_next continues from it,
/// destroy and the setters ignore it, dispatch reports -ENOTSUP, the accessors still read it
/// while it is in the quarantine; and pointers that were never domains are never dereferenced.
///
/// Tests in this process destroy domains in parallel, and the quarantine counts destroys
/// process-wide, so tests that read a destroyed domain do so inside
/// `Registry.withReclamationDeferred` (no record is freed meanwhile, so no address is reused
/// either). Walks are filtered by ids unique to the test, or checked only against the test's
/// own domains.
@Suite("Destroyed domains")
struct DestroyedDomainTests {
    /// Creates `count` domains with `id`.
    private func make(_ count: Int, id: String?) throws -> [CDomain] {
        try (0..<count).map { _ in try #require(cCreate(id: id)) }
    }

    @Test("get_next on a destroyed domain continues with its successor, a later one, or NULL (id filter)")
    func successorFiltered() throws {
        let id = uniqueID()
        try Registry.withReclamationDeferred {
            let d = try make(5, id: id)
            spdk_memory_domain_destroy(d[1])
            #expect(cNext(d[1], id: id) == d[2])
            // The successor destroyed too: the first later domain that still exists.
            spdk_memory_domain_destroy(d[2])
            #expect(cNext(d[1], id: id) == d[3])
            #expect(cNext(d[2], id: id) == d[3])
            // A domain created afterwards is later than every destroyed one.
            spdk_memory_domain_destroy(d[3])
            spdk_memory_domain_destroy(d[4])
            #expect(cNext(d[1], id: id) == nil)
            #expect(cNext(d[4], id: id) == nil)
            let appended = try #require(cCreate(id: id))
            #expect(cNext(d[1], id: id) == appended)
            #expect(cNext(d[4], id: id) == appended)
            #expect(cWalk(id: id) == [d[0], appended])
            // A destroyed first domain: its successor, never itself.
            spdk_memory_domain_destroy(d[0])
            #expect(cNext(d[0], id: id) == appended)
            spdk_memory_domain_destroy(appended)
            #expect(cNext(d[0], id: id) == nil)
            #expect(cFirst(id: id) == nil)
        }
    }

    @Test("get_next on a destroyed domain passes over domains that do not match the id")
    func successorSkipsOtherIDs() throws {
        let id = uniqueID()
        let other = uniqueID()
        try Registry.withReclamationDeferred {
            let a = try #require(cCreate(id: id))
            let b = try #require(cCreate(id: other))
            let c = try #require(cCreate(id: nil))
            let d = try #require(cCreate(id: id))
            defer { [b, c, d].forEach { spdk_memory_domain_destroy($0) } }
            spdk_memory_domain_destroy(a)
            #expect(cNext(a, id: id) == d)
            #expect(cNext(a, id: other) == b)
            spdk_memory_domain_destroy(b)
            #expect(cNext(a, id: other) == nil)
        }
    }

    /// The domains an unfiltered walk visits from `start` (excluded) until `stop` (included) or
    /// the end. Other tests' domains may appear in between; only get_next is called on them.
    private func unfilteredWalk(from start: CDomain, until stop: CDomain) -> [CDomain] {
        var visited: [CDomain] = []
        var cursor = cNext(start, id: nil)
        while let current = cursor {
            visited.append(current)
            if current == stop { break }
            cursor = cNext(current, id: nil)
        }
        return visited
    }

    @Test("get_next(destroyed, NULL) continues with a domain created after it")
    func successorUnfiltered() throws {
        try Registry.withReclamationDeferred {
            let d = try make(4, id: nil)
            defer { [d[0], d[3]].forEach { spdk_memory_domain_destroy($0) } }
            spdk_memory_domain_destroy(d[1])
            // Other tests may create domains at any time: what comes next is d[2] or a domain
            // created after d[1], never d[0] or d[1] itself, and the walk reaches d[2].
            var walk = unfilteredWalk(from: d[1], until: d[2])
            #expect(walk.last == d[2])
            #expect(!walk.contains(d[0]) && !walk.contains(d[1]))
            spdk_memory_domain_destroy(d[2])
            walk = unfilteredWalk(from: d[1], until: d[3])
            #expect(walk.last == d[3])
            #expect(!walk.contains(d[0]) && !walk.contains(d[1]) && !walk.contains(d[2]))
            walk = unfilteredWalk(from: d[2], until: d[3])
            #expect(walk.last == d[3])
            #expect(!walk.contains(d[2]))
        }
    }

    @Test("destroying twice, and destroying a pointer that was never a domain, changes nothing")
    func destroyTwice() throws {
        let id = uniqueID()
        try Registry.withReclamationDeferred {
            let d = try make(3, id: id)
            defer { [d[0], d[2]].forEach { spdk_memory_domain_destroy($0) } }
            spdk_memory_domain_destroy(d[1])
            spdk_memory_domain_destroy(d[1])
            spdk_memory_domain_destroy(d[1])
            #expect(cWalk(id: id) == [d[0], d[2]])
            // An address that no object has: a dereference would crash.
            spdk_memory_domain_destroy(CDomain(OpaquePointer(tag(1))))
            #expect(cWalk(id: id) == [d[0], d[2]])
            // New domains are new objects, not the destroyed one handed out again.
            let fresh = try make(4, id: id)
            defer { fresh.forEach { spdk_memory_domain_destroy($0) } }
            #expect(!fresh.contains(d[1]))
            #expect(cWalk(id: id) == [d[0], d[2]] + fresh)
        }
    }

    /// A pull callback that completes at once.
    private static let completingPull: spdk_memory_domain_pull_data_cb = { _, _, _, _, _, _, cpl, arg in
        cpl?(arg, 0)
        return 0
    }

    @Test("a destroyed domain in the quarantine keeps its fields; dispatch is -ENOTSUP; setters are ignored")
    func quarantinedDomain() throws {
        let id = uniqueID()
        var bytes: [UInt8] = Array(0..<24)
        try Registry.withReclamationDeferred {
            var ctx = spdk_memory_domain_ctx(size: MemoryLayout<spdk_memory_domain_ctx>.size, user_ctx: nil, user_ctx_size: bytes.count)
            var domain: CDomain?
            let rc = bytes.withUnsafeMutableBytes { user in
                ctx.user_ctx = user.baseAddress
                return id.withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_ACCEL, &ctx, $0) }
            }
            #expect(rc == 0)
            let d = try #require(domain)
            spdk_memory_domain_set_pull(d, Self.completingPull)
            let counter = CompletionCounter()
            #expect(spdk_memory_domain_pull_data(d, nil, nil, 0, nil, 0, CompletionCounter.callback, counter.argument) == 0)
            let context = spdk_memory_domain_get_context(d)

            spdk_memory_domain_destroy(d)
            #expect(cID(d) == id)
            #expect(spdk_memory_domain_get_dma_device_type(d) == SPDK_DMA_DEVICE_TYPE_ACCEL)
            #expect(spdk_memory_domain_get_context(d) == context)
            var size = 0
            let user = try #require(spdk_memory_domain_get_user_context(d, &size))
            #expect(size == 24)
            #expect(Array(UnsafeRawBufferPointer(start: user, count: size)) == Array(0..<24))
            #expect(spdk_memory_domain_pull_data(d, nil, nil, 0, nil, 0, CompletionCounter.callback, counter.argument) == -ENOTSUP)
            spdk_memory_domain_set_pull(d, Self.completingPull)
            #expect(spdk_memory_domain_pull_data(d, nil, nil, 0, nil, 0, CompletionCounter.callback, counter.argument) == -ENOTSUP)
            #expect(counter.count.load(ordering: .relaxed) == 1)
            #expect(cFirst(id: id) == nil)
        }
    }

    @Test("get_next, destroy and the setters never dereference a pointer that is not a domain")
    func unknownPointers() throws {
        let id = uniqueID()
        let anchor = try #require(cCreate(id: id))
        defer { spdk_memory_domain_destroy(anchor) }
        // Addresses no object has: a dereference would crash.
        for n in 1...3 {
            let bogus = CDomain(OpaquePointer(tag(n)))
            #expect(cNext(bogus, id: nil) == nil)
            #expect(cNext(bogus, id: id) == nil)
            spdk_memory_domain_set_pull(bogus, Self.completingPull)
            spdk_memory_domain_set_memzero(bogus, nil)
            spdk_memory_domain_destroy(bogus)
        }
        // Memory that looks like a record but was never registered. On the stack: a heap
        // block could sit where a destroyed domain was, and get_next then continues from that
        // domain's tombstone, as spdk/dma.h describes.
        var lookalike = spdk_memory_domain()
        lookalike.next = anchor
        withUnsafeMutablePointer(to: &lookalike) { fake in
            #expect(cNext(fake, id: nil) == nil)
            spdk_memory_domain_set_pull(fake, Self.completingPull)
            #expect(fake.pointee.pull_cb == nil)
            spdk_memory_domain_destroy(fake)
        }
        #expect(cWalk(id: id) == [anchor])
    }

    @Test("spdk/dma.h states the quarantine and tombstone lifetimes the library uses")
    func documentedLifetimes() throws {
        let header = ExternalTools.readText(ExternalTools.packageRoot.appendingPathComponent("Sources/CDMAHostABI/include/spdk/dma.h").path)
        try #require(header.contains("spdk_memory_domain_destroy"), "cannot read spdk/dma.h")
        let text = header.replacing(/\n \*\s*/, with: " ")
        #expect(text.contains("for the next \(DMAHOST_QUARANTINE_RECORDS) destroys in the process (its quarantine)"))
        #expect(text.contains("after \(DMAHOST_QUARANTINE_RECORDS) more destroys in the process"))
        #expect(text.contains("(for the next \(DMAHOST_GRAVEYARD_RECORDS) destroys)"))
        #expect(text.contains("for the next \(DMAHOST_GRAVEYARD_RECORDS) destroys in the process"))
    }
}
