import RegistrationCache
import RegistrationCacheTestSupport
import SeededRandom
import Testing

private let page: UInt = 4096

/// Page-aligned range of `count` pages starting at page `first`.
private func pages(_ first: UInt, _ count: UInt = 1) -> PageRange {
    PageRange(covering: first * page, length: count * page, pageSize: page)!
}

@Suite("Registration cache: intervals, merge, references, eviction, invalidation")
struct RegistrationCacheTests {
    @Test("A buffer is rounded out to whole pages")
    func pageAlignment() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let lease = try cache.acquire(address: 0x1001, length: 0x1000)
        #expect(lease.range == PageRange(covering: 0x1000, length: 0x2000, pageSize: page))
        #expect(fake.registered.map(\.range) == [lease.range])
    }

    @Test("A buffer inside a live region is a hit and takes a reference")
    func hitTakesReference() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let first = try cache.acquire(address: 2 * page, length: 3 * page)
        let second = try cache.acquire(address: 3 * page + 100, length: 200)
        #expect(first.id == second.id)
        #expect(fake.registered.count == 1)
        #expect(cache.state(of: first)?.references == 2)
        #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)
        cache.release(second)
        cache.release(first)
        #expect(cache.state(of: first)?.references == 0)
        #expect(fake.deregistered.isEmpty, "an idle live region stays registered")
    }

    @Test("Adjacent ranges merge into one registration; the idle old one is deregistered")
    func adjacentMerge() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let left = try cache.acquire(address: 4 * page, length: page)
        cache.release(left)
        let right = try cache.acquire(address: 5 * page, length: page)
        #expect(right.range == pages(4, 2))
        #expect(cache.liveRanges == [pages(4, 2)])
        #expect(fake.deregistered.map(\.range) == [pages(4)])
        #expect(cache.statistics.merges == 1)
    }

    @Test("A range bridging two regions merges all three")
    func bridgeMerge() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        cache.release(try cache.acquire(address: 1 * page, length: page))
        cache.release(try cache.acquire(address: 3 * page, length: page))
        #expect(cache.liveRanges == [pages(1), pages(3)])
        let middle = try cache.acquire(address: 2 * page, length: page)
        #expect(middle.range == pages(1, 3))
        #expect(cache.liveRanges == [pages(1, 3)])
        #expect(Set(fake.deregistered.map(\.range)) == [pages(1), pages(3)])
    }

    @Test("Partially overlapping ranges merge; non-touching ranges stay apart")
    func overlapAndDistinct() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 32)
        cache.release(try cache.acquire(address: 0, length: 3 * page))
        cache.release(try cache.acquire(address: 2 * page, length: 3 * page))
        cache.release(try cache.acquire(address: 10 * page, length: page))
        #expect(cache.liveRanges == [pages(0, 5), pages(10)])
    }

    @Test("A referenced region overlapped by a new request is retired, and deregistered on its last release")
    func retiredWhileReferenced() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let old = try cache.acquire(address: 8 * page, length: 2 * page)
        let merged = try cache.acquire(address: 9 * page, length: 2 * page)
        #expect(merged.range == pages(8, 3))
        #expect(cache.state(of: old)?.live == false)
        #expect(fake.deregistered.isEmpty, "still referenced: must stay registered")
        #expect(cache.statistics.retiredRegions == 1)
        cache.release(old)
        #expect(fake.deregistered.map(\.range) == [pages(8, 2)])
        #expect(cache.statistics.retiredRegions == 0)
        cache.release(merged)
    }

    @Test("A touching neighbour in use (or pinned) is not merged: a stream of adjacent requests in flight stays linear")
    func touchingInUseNotMerged() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 64)
        var held: [RegistrationLease<FakeRegistrar.Handle>] = []
        for index: UInt in 0..<16 { held.append(try cache.acquire(address: index * page, length: page)) }
        #expect(cache.liveRanges == (0..<16).map { pages($0) })
        #expect(cache.statistics.registeredBytes == 16 * page)
        #expect(fake.deregistered.isEmpty)
        // Once idle, the next touching request absorbs its idle neighbour.
        cache.release(held.removeLast())
        cache.release(try cache.acquire(address: 16 * page, length: page))
        #expect(cache.liveRanges.last == pages(15, 2))
        for lease in held { cache.release(lease) }
    }

    @Test("Eviction removes the least recently used idle region first")
    func lruEvictionOrder() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 3)
        // Three non-adjacent one-page regions fill the cache.
        for first: UInt in [0, 2, 4] { cache.release(try cache.acquire(address: first * page, length: page)) }
        // Use page 0 again: page 2 is now the oldest.
        cache.release(try cache.acquire(address: 0, length: 10))
        cache.release(try cache.acquire(address: 6 * page, length: page))
        #expect(fake.deregistered.map(\.range) == [pages(2)])
        cache.release(try cache.acquire(address: 8 * page, length: page))
        #expect(fake.deregistered.map(\.range) == [pages(2), pages(4)])
        #expect(cache.liveRanges == [pages(0), pages(6), pages(8)])
        #expect(cache.statistics.evictions == 2)
        #expect(cache.statistics.registeredBytes == 3 * page)
    }

    @Test("Referenced and pinned regions are never evicted: the cache reports it is full")
    func limitReached() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 2)
        let held = try cache.acquire(address: 0, length: page)
        let pinned = try cache.acquire(address: 4 * page, length: page)
        cache.pin(pinned)
        cache.release(pinned)
        #expect(throws: RegistrationCacheError.limitReached(registered: 2 * page, requested: page, limit: 2 * page)) {
            try cache.acquire(address: 8 * page, length: page)
        }
        #expect(fake.deregistered.isEmpty)
        cache.release(held)
        let next = try cache.acquire(address: 8 * page, length: page)
        #expect(fake.deregistered.map(\.range) == [pages(0)])
        cache.release(next)
    }

    @Test("A buffer larger than the limit is refused; a merge that would exceed it registers only the buffer")
    func sizeLimits() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 4)
        #expect(throws: RegistrationCacheError.tooLarge(requested: 5 * page, limit: 4 * page)) {
            try cache.acquire(address: 0, length: 5 * page)
        }
        cache.release(try cache.acquire(address: 0, length: 3 * page))
        let next = try cache.acquire(address: 3 * page, length: 2 * page)
        #expect(next.range == pages(3, 2), "the hull (5 pages) exceeds the limit, so no merge")
        // 3 + 2 pages exceed the limit: the idle neighbour was evicted to make room.
        #expect(cache.liveRanges == [pages(3, 2)])
        #expect(fake.deregistered.map(\.range) == [pages(0, 3)])
        #expect(cache.statistics.registeredBytes == 2 * page)
    }

    @Test("Invalidation drops overlapping regions, pinned or not; in-use ones go on their last release")
    func invalidation() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 32)
        let pinned = try cache.acquire(address: 0, length: page)
        cache.pin(pinned)
        cache.release(pinned)
        let busy = try cache.acquire(address: 4 * page, length: 2 * page)
        cache.release(try cache.acquire(address: 10 * page, length: page))
        let affected = cache.invalidate(address: 0, length: 5 * page)
        #expect(affected == 2)
        #expect(cache.liveRanges == [pages(10)])
        #expect(fake.deregistered.map(\.range) == [pages(0)])
        cache.release(busy)
        #expect(fake.deregistered.map(\.range) == [pages(0), pages(4, 2)])
        #expect(cache.invalidate(address: 20 * page, length: page) == 0)
        // A new acquisition after invalidation registers again.
        cache.release(try cache.acquire(address: 0, length: 1))
        #expect(fake.registered.count == 4)
    }

    @Test("A pinned region survives being retired by a merge until it is invalidated; a touching one is not merged")
    func pinnedRetiredRegion() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let translated = try cache.acquire(address: 0, length: page)
        cache.pin(translated)
        cache.release(translated)
        let touching = try cache.acquire(address: page, length: page)
        #expect(cache.liveRanges == [pages(0), pages(1)])
        cache.release(touching)
        cache.invalidate(address: page, length: 1)
        cache.release(try cache.acquire(address: 0, length: 2 * page))
        #expect(cache.liveRanges == [pages(0, 2)])
        #expect(fake.deregistered.map(\.range) == [pages(1)], "the pinned region stays registered after the merge")
        cache.invalidate(address: 0, length: 1)
        #expect(fake.deregistered.map(\.range) == [pages(1), pages(0), pages(0, 2)])
    }

    @Test("acquireRegistered finds a current registration by its handle, live or retired, and never registers")
    func acquireRegistered() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let translated = try cache.acquire(address: 0, length: page)
        cache.pin(translated)
        cache.release(translated)
        let found = try #require(cache.acquireRegistered(address: 100, length: 200) { $0 == translated.handle })
        #expect(found.id == translated.id && cache.state(of: found)?.references == 1)
        #expect(cache.acquireRegistered(address: 100, length: 200) { $0.id == 999 } == nil, "another key")
        #expect(cache.acquireRegistered(address: page, length: 1) { $0 == translated.handle } == nil, "outside the region")
        // Retired by an overlapping merge but pinned: still found (its keys are still valid).
        cache.release(try cache.acquire(address: 0, length: 2 * page))
        let retired = try #require(cache.acquireRegistered(address: 0, length: 1) { $0 == translated.handle })
        #expect(cache.state(of: retired)?.live == false)
        cache.release(retired)
        cache.release(found)
        cache.invalidate(address: 0, length: 1)
        #expect(cache.acquireRegistered(address: 0, length: 1) { $0 == translated.handle } == nil, "invalidated")
        #expect(fake.registered.count == 2)
    }

    @Test("A failed registration leaves the cache unchanged")
    func registrationFailure() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        cache.release(try cache.acquire(address: 0, length: page))
        let failure = RegistrationFailure(errno: 12, message: "ibv_reg_mr: out of memory")
        // Both the hull with the idle neighbour and the request alone fail.
        fake.failNext(failure, count: 2)
        #expect(throws: RegistrationCacheError.registrationFailed(failure)) {
            try cache.acquire(address: page, length: page)
        }
        #expect(cache.liveRanges == [pages(0)])
        #expect(fake.deregistered.isEmpty)
    }

    @Test("A hull that cannot be registered (a neighbour freed without invalidate) falls back to the request alone")
    func hullFailureFallsBackToRequest() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        cache.release(try cache.acquire(address: 0, length: page))
        fake.failNext(RegistrationFailure(errno: 14, message: "ibv_reg_mr: Bad address"))
        let lease = try cache.acquire(address: page, length: page)
        #expect(lease.range == pages(1))
        #expect(cache.liveRanges == [pages(0), pages(1)])
        #expect(fake.registered.map(\.range) == [pages(0), pages(1)])
        #expect(fake.deregistered.isEmpty, "the neighbour is neither merged nor dropped")
        #expect(cache.statistics.misses == 2 && cache.statistics.registrations == 2 && cache.statistics.merges == 0)
        // Alone, a request still replaces the regions it overlaps (the idle one is deregistered).
        cache.release(try cache.acquire(address: 4 * page, length: 2 * page))
        fake.failNext(RegistrationFailure(errno: 14, message: "ibv_reg_mr: Bad address"))
        let overlapping = try cache.acquire(address: 5 * page + 100, length: page)
        #expect(overlapping.range == pages(5, 2))
        #expect(cache.liveRanges == [pages(0), pages(1), pages(5, 2)])
        #expect(fake.deregistered.map(\.range) == [pages(4, 2)])
    }

    @Test("Empty and wrapping buffers are invalid", arguments: [(UInt(0x1000), UInt(0)), (UInt.max - 10, UInt(100))])
    func invalidRanges(address: UInt, length: UInt) {
        let cache = FakeRegistrar().makeCache(pages: 16)
        #expect(throws: RegistrationCacheError.invalidRange(address: address, length: length)) {
            try cache.acquire(address: address, length: length)
        }
    }

    @Test("removeAll deregisters everything, referenced or not, exactly once")
    func removeAll() throws {
        let fake = FakeRegistrar()
        let cache = fake.makeCache(pages: 16)
        let held = try cache.acquire(address: 0, length: page)
        cache.release(try cache.acquire(address: 8 * page, length: page))
        #expect(cache.removeAll() == 1)
        #expect(fake.alive.isEmpty)
        cache.release(held)
        #expect(fake.deregistered.count == 2)
    }

    @Test("Random workload keeps the invariants", arguments: [1, 2, 3, 4])
    func randomWorkload(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let fake = FakeRegistrar()
        let limitPages: UInt = 24
        let cache = fake.makeCache(pages: limitPages)
        var leases: [RegistrationLease<FakeRegistrar.Handle>] = []
        for _ in 0..<3000 {
            switch random.next(upTo: UInt64(10)) {
            case 0..<5:
                let address = random.next(upToWord: 64) * page + random.next(upToWord: page)
                let length = random.next(upToWord: 4 * page) + 1
                do throws(RegistrationCacheError) {
                    let lease = try cache.acquire(address: address, length: length)
                    #expect(lease.range.start <= address && address + length <= lease.range.end)
                    leases.append(lease)
                } catch {
                    // Legitimate only when the references held pin too much; release some.
                    guard case .limitReached = error else {
                        Issue.record("unexpected \(error)")
                        continue
                    }
                    if !leases.isEmpty { cache.release(leases.removeFirst()) }
                }
            case 5..<8:
                if !leases.isEmpty { cache.release(leases.remove(at: Int(random.next(upTo: UInt64(leases.count))))) }
            case 8:
                if let lease = leases.last { cache.pin(lease) }
            default:
                cache.invalidate(address: random.next(upToWord: 64) * page, length: random.next(upToWord: 8 * page) + 1)
            }
            // Invariants: sorted, non-overlapping live regions; byte accounting; limit.
            let live = cache.liveRanges
            let alive = fake.alive
            let sorted = zip(live, live.dropFirst()).allSatisfy { $0.end <= $1.start }
            let accounted = cache.statistics.registeredBytes == alive.reduce(0) { $0 + $1.range.length }
            let withinLimit = cache.statistics.registeredBytes <= limitPages * page
            let liveRegistered = Set(live).isSubset(of: Set(alive.map(\.range)))
            guard sorted, accounted, withinLimit, liveRegistered else {
                Issue.record("invariant broken: sorted \(sorted), accounted \(accounted), limit \(withinLimit), live registered \(liveRegistered)")
                break
            }
        }
        let statistics = cache.statistics
        #expect(statistics.evictions > 0 && statistics.merges > 0 && statistics.invalidated > 0 && statistics.hits > 0,
                "the workload must exercise eviction, merging, invalidation and hits: \(statistics)")
        for lease in leases { cache.release(lease) }
        cache.removeAll()
        #expect(fake.alive.isEmpty)
        #expect(Set(fake.deregistered.map(\.id)).count == fake.deregistered.count, "deregistered exactly once")
    }
}

@Suite("Page ranges")
struct PageRangeTests {
    @Test("Covering, overlap, touch and hull")
    func geometry() throws {
        let a = try #require(PageRange(covering: 4096, length: 1, pageSize: 4096))
        let b = try #require(PageRange(covering: 8192, length: 4096, pageSize: 4096))
        let c = try #require(PageRange(covering: 4000, length: 200, pageSize: 4096))
        #expect(a.length == 4096 && b.start == 8192 && c == PageRange(covering: 0, length: 8192, pageSize: 4096))
        #expect(!a.overlaps(b) && a.overlapsOrTouches(b) && a.hull(b).length == 8192)
        #expect(c.contains(a) && !a.contains(c))
        #expect(PageRange(covering: 0, length: 10, pageSize: 3000) == nil, "page size must be a power of two")
    }
}

/// Deterministic pseudo-random numbers for reproducible tests.
private typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
    /// A number in `0 ..< bound`.
    fileprivate mutating func next(upTo bound: UInt64) -> UInt64 { next() % bound }
    /// A number in `0 ..< bound`.
    fileprivate mutating func next(upToWord bound: UInt) -> UInt { UInt(next() % UInt64(bound)) }
}
