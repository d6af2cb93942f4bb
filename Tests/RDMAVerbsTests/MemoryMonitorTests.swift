import CMemoryMonitor
import RegistrationCache
import RegistrationCacheTestSupport
@testable import RDMAVerbsKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether the userfaultfd monitor runs here, and why not.
enum MonitorAvailability {
    static let available: Bool = {
        if case .unavailable(let reason) = MemoryMonitor.shared {
            print("MemoryMonitor tests skipped: \(reason)")
            return false
        }
        return true
    }()
}

/// Anonymous memory mapped for one test (unmapped at the end unless the test did it).
final class Mapping {
    let base: UnsafeMutableRawPointer
    let length: Int
    var mapped = true
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(pages: Int, shared: Bool = false) throws {
        length = pages * Mapping.pageSize
        let flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0)
        guard let address, address != MAP_FAILED else { throw Failure.mmap(errno) }
        base = address
        memset(base, 0x5A, length)
    }

    func unmap() {
        if mapped { munmap(base, length) }
        mapped = false
    }

    deinit { unmap() }

    var address: UInt { UInt(bitPattern: base) }

    enum Failure: Error { case mmap(Int32) }
}

// Serialized: the monitor is one per process, and the overflow test makes every cache of the
// process drop everything (correctly: events were lost), which would fail a test that runs at
// the same time and expects its regions to survive.
@Suite("Memory monitor: a cached registration never outlives the pages it pinned (userfaultfd, host)",
       .enabled(if: MonitorAvailability.available, "needs userfaultfd"), .serialized)
struct MemoryMonitorTests {
    let registrar = FakeRegistrar()

    func makeCache(monitor: MemoryMonitor? = MemoryMonitor.shared.monitor) -> MonitoredCache<FakeRegistrar.Handle> {
        let functions = registrar.functions
        return MonitoredCache(pageSize: UInt(Mapping.pageSize), maxBytes: 1 << 30, maxRegions: 4096, monitor: monitor,
                              register: functions.register, deregister: functions.deregister)
    }

    /// Registers the whole mapping through the cache and gives the lease back (it stays cached).
    func prime(_ cache: inout MonitoredCache<FakeRegistrar.Handle>, _ mapping: Mapping) throws {
        cache.synchronize()
        let lease = try cache.cache.acquire(address: mapping.address, length: UInt(mapping.length))
        cache.cache.release(lease)
        let range = PageRange(covering: mapping.address, length: UInt(mapping.length), pageSize: UInt(Mapping.pageSize))
        // An idle region next to another idle one merges with it: the mapping need only be covered.
        let covered = try #require(range)
        #expect(cache.cache.liveRanges.contains { $0.contains(covered) }, "an idle watched region stays cached")
    }

    /// After `change`, the next synchronisation drops the region and a new acquisition registers anew.
    func expectDropped(after change: (Mapping) -> Void, reacquire: Bool = true) throws {
        var cache = makeCache()
        let mapping = try Mapping(pages: 16)
        try prime(&cache, mapping)
        change(mapping)
        cache.synchronize()
        #expect(cache.cache.liveRanges.isEmpty, "the region whose memory went away left the lookup")
        #expect(registrar.deregistered.count == 1)
        #expect(cache.monitorInvalidations >= 1)
        if reacquire {
            let lease = try cache.cache.acquire(address: mapping.address, length: UInt(mapping.length))
            cache.cache.release(lease)
            #expect(registrar.registered.count == 2, "the new pages are registered anew")
        }
    }

    @Test("munmap drops the registration")
    func munmapDrops() throws {
        try expectDropped(after: { $0.unmap() }, reacquire: false)
    }

    @Test("munmap then mmap(MAP_FIXED) at the same address drops it")
    func remapFixed() throws {
        try expectDropped(after: { mapping in
            munmap(mapping.base, mapping.length)
            let again = mmap(mapping.base, mapping.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
            #expect(again == mapping.base)
        })
    }

    @Test("mmap(MAP_FIXED) straight over the mapping drops it")
    func mapFixedOver() throws {
        try expectDropped(after: { mapping in
            let again = mmap(mapping.base, mapping.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
            #expect(again == mapping.base)
        })
    }

    @Test("madvise drops it", arguments: [MADV_DONTNEED, MADV_FREE, MADV_REMOVE])
    func madviseDrops(advice: Int32) throws {
        let shared = advice == MADV_REMOVE // MADV_REMOVE applies to shared memory
        var cache = makeCache()
        let mapping = try Mapping(pages: 16, shared: shared)
        try prime(&cache, mapping)
        #expect(madvise(mapping.base + Mapping.pageSize, Mapping.pageSize, advice) == 0)
        cache.synchronize()
        #expect(cache.cache.liveRanges.isEmpty)
        #expect(registrar.deregistered.count == 1)
    }

    @Test("mremap moving the mapping drops it")
    func mremapDrops() throws {
        var cache = makeCache()
        let mapping = try Mapping(pages: 16)
        try prime(&cache, mapping)
        let target = try Mapping(pages: 16)
        // mremap(2) is a GNU extension the Glibc module does not import.
        typealias MRemap = @convention(c) (UnsafeMutableRawPointer?, Int, Int, Int32, UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mremap"))
        let mremap = unsafeBitCast(symbol, to: MRemap.self)
        let mayMove: Int32 = 1, fixed: Int32 = 2 // MREMAP_MAYMOVE, MREMAP_FIXED
        let moved = mremap(mapping.base, mapping.length, mapping.length, mayMove | fixed, target.base)
        #expect(moved == target.base)
        mapping.mapped = false
        cache.synchronize()
        #expect(cache.cache.liveRanges.isEmpty)
        #expect(registrar.deregistered.count == 1)
    }

    @Test("a region the kernel cannot watch is transient: deregistered as soon as it is idle")
    func unwatchableIsTransient() throws {
        let cache = makeCache()
        let path = "/var/tmp/dmahost-monitor-\(getpid())"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        #expect(ftruncate(fd, off_t(4 * Mapping.pageSize)) == 0)
        let file = try #require(mmap(nil, 4 * Mapping.pageSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
        try #require(file != MAP_FAILED)
        defer { munmap(file, 4 * Mapping.pageSize) }
        let lease = try cache.cache.acquire(address: UInt(bitPattern: file), length: UInt(4 * Mapping.pageSize))
        #expect(cache.cache.liveRanges.count == 1, "it serves the operation holding it")
        cache.cache.release(lease)
        #expect(cache.cache.liveRanges.isEmpty)
        #expect(registrar.deregistered.count == 1)
        #expect(cache.cache.statistics.transientRegistrations == 1)
    }

    @Test("without a monitor every registration is per operation")
    func noMonitorIsPerOperation() throws {
        var cache = makeCache(monitor: nil)
        let mapping = try Mapping(pages: 4)
        cache.synchronize()
        for _ in 0..<3 {
            let lease = try cache.cache.acquire(address: mapping.address, length: UInt(mapping.length))
            cache.cache.release(lease)
        }
        #expect(registrar.registered.count == 3)
        #expect(registrar.deregistered.count == 3)
        #expect(cache.cache.liveRanges.isEmpty)
    }

    @Test("the thread that unmapped always sees its own event at its next lookup (200 rounds)")
    func unmapperSeesItsEvent() throws {
        var cache = makeCache()
        for round in 0..<200 {
            let mapping = try Mapping(pages: 1 + round % 8)
            try prime(&cache, mapping)
            mapping.unmap()
            cache.synchronize()
            #expect(cache.cache.liveRanges.isEmpty, "round \(round)")
        }
        #expect(registrar.deregistered.count == 200)
    }

    @Test("a cache that falls more than the log's capacity behind drops everything")
    func overflowDropsEverything() throws {
        var cache = makeCache()
        let capacity = Int(DMAHOST_MEMMON_LOG_CAPACITY)
        let mapping = try Mapping(pages: 2 * capacity + 8)
        try prime(&cache, mapping)
        let other = try Mapping(pages: 4)
        try prime(&cache, other)
        for page in stride(from: 0, to: 2 * (capacity + 4), by: 2) {
            #expect(madvise(mapping.base + page * Mapping.pageSize, Mapping.pageSize, MADV_DONTNEED) == 0)
        }
        cache.synchronize()
        #expect(cache.resets == 1)
        #expect(cache.cache.liveRanges.isEmpty, "even the untouched mapping is dropped: events were lost")
    }

    @Test("events for other memory leave cached regions alone")
    func unrelatedEvents() throws {
        var cache = makeCache()
        // Two regions that do not touch (touching idle regions would merge into one).
        let mapping = try Mapping(pages: 12)
        let page = UInt(Mapping.pageSize)
        for first in [0, 8] {
            let lease = try cache.cache.acquire(address: mapping.address + UInt(first) * page, length: 4 * page)
            cache.cache.release(lease)
        }
        #expect(cache.cache.liveRanges.count == 2)
        #expect(madvise(mapping.base + 8 * Mapping.pageSize, 4 * Mapping.pageSize, MADV_DONTNEED) == 0)
        cache.synchronize()
        #expect(cache.cache.liveRanges == [PageRange(covering: mapping.address, length: 4 * page, pageSize: page)])
    }
}

@Suite("Memory monitor selection")
struct MonitorChoiceTests {
    @Test("DMAHOST_RDMA_MR_CACHE_MONITOR values")
    func parse() {
        #expect(MonitorChoice.parse(nil) == .userfaultfd)
        #expect(MonitorChoice.parse("userfaultfd") == .userfaultfd)
        guard case .disabled(let reason) = MonitorChoice.parse("disabled") else { Issue.record("disabled"); return }
        #expect(reason.contains("DMAHOST_RDMA_MR_CACHE_MONITOR=disabled"))
        guard case .disabled(let unknown) = MonitorChoice.parse("memhooks") else { Issue.record("unknown values disable caching"); return }
        #expect(unknown.contains("not one of"))
    }

    @Test("a disabled choice gives no monitor and says why")
    func disabledStatus() {
        let status = MemoryMonitor.status(for: .disabled(reason: "test"))
        #expect(status.monitor == nil)
        #expect(status.summary.contains("registers its buffers"))
    }
}
