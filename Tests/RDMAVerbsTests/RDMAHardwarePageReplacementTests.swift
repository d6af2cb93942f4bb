import CDMAHostABI
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ways a program replaces the pages behind a buffer's address without telling the domain.
enum PageReplacement: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case munmapThenMapFixedNoReplace, munmapThenMapFixed, mapFixedOver, munmapThenMapAtHint
    case freeThenMalloc256KiB, freeThenMalloc64MiB, madviseDontNeed, madviseFree, mremapAway

    var testDescription: String { rawValue }
}

/// How the backend learns about it.
enum ReplacementMode: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// The memory monitor alone (what a program written for SPDK relies on).
    case monitor
    /// The program calls spdk_memory_domain_invalidate_data before it releases the memory.
    case monitorAndInvalidate
    /// DMAHOST_RDMA_MR_CACHE_MONITOR=disabled: registration per operation.
    case monitorDisabled

    var testDescription: String { rawValue }
}

/// A buffer whose pages a ``PageReplacement`` swaps out.
final class ReplaceableBuffer {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private(set) var base: UnsafeMutableRawPointer
    /// Bytes the test moves (the start of the allocation, at most all of it).
    let count: Int
    private let allocation: Int
    private let kind: PageReplacement
    private var released = false

    init(_ kind: PageReplacement, count: Int) throws {
        self.kind = kind
        switch kind {
        case .freeThenMalloc256KiB, .freeThenMalloc64MiB:
            allocation = kind == .freeThenMalloc256KiB ? 256 << 10 : 64 << 20
            self.count = min(count, allocation)
            // Chunks of 128 KiB and more come from mmap and go back with munmap on free.
            typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")), to: MallOpt.self)
            _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 128 << 10)
            base = try Self.mallocFromMmap(allocation)
        default:
            allocation = count
            self.count = count
            base = try Self.map(nil, count, flags: 0)
        }
    }

    /// malloc(3) of a chunk that glibc should map with mmap (and unmap on free): the heap is
    /// trimmed first, so that the request is less likely to fit in it. glibc still serves it
    /// from an arena's free space when it has enough (then free and malloc keep the same
    /// pages, and the data is right either way); the test says which happened.
    static func mallocFromMmap(_ length: Int) throws -> UnsafeMutableRawPointer {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        let trim = unsafeBitCast(try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")), to: MallocTrim.self)
        _ = trim(0)
        let pointer = try #require(malloc(length))
        // glibc's chunk header: the size word before the memory has IS_MMAPPED (2) set.
        if (pointer - MemoryLayout<Int>.size).load(as: Int.self) & 2 == 0 {
            print("malloc(\(length)) was served from an arena, not mmap: free and malloc keep its pages")
        }
        return pointer
    }

    static func map(_ address: UnsafeMutableRawPointer?, _ length: Int, flags: Int32) throws -> UnsafeMutableRawPointer {
        let result = mmap(address, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0)
        guard let result, result != MAP_FAILED else { throw POSIXFailure(call: "mmap", errno: errno) }
        return result
    }

    /// Puts other pages behind the buffer. - Returns: whether the address stayed the same.
    func replace() throws -> Bool {
        let old = base
        switch kind {
        case .munmapThenMapFixedNoReplace:
            munmap(base, allocation)
            base = try Self.map(old, allocation, flags: 0x100000 /* MAP_FIXED_NOREPLACE */)
        case .munmapThenMapFixed:
            munmap(base, allocation)
            base = try Self.map(old, allocation, flags: MAP_FIXED)
        case .mapFixedOver:
            base = try Self.map(old, allocation, flags: MAP_FIXED)
        case .munmapThenMapAtHint:
            munmap(base, allocation)
            base = try Self.map(old, allocation, flags: 0)
        case .freeThenMalloc256KiB, .freeThenMalloc64MiB:
            free(base)
            base = try Self.mallocFromMmap(allocation)
        case .madviseDontNeed:
            guard madvise(base, allocation, MADV_DONTNEED) == 0 else { throw POSIXFailure(call: "madvise", errno: errno) }
        case .madviseFree:
            guard madvise(base, allocation, MADV_FREE) == 0 else { throw POSIXFailure(call: "madvise", errno: errno) }
        case .mremapAway:
            // Move the pages elsewhere, unmap them there, and map new ones at the old address.
            let elsewhere = try Self.map(nil, allocation, flags: 0)
            typealias MRemap = @convention(c) (UnsafeMutableRawPointer?, Int, Int, Int32, UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?
            let mremap = unsafeBitCast(try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mremap")), to: MRemap.self)
            guard mremap(base, allocation, allocation, 3 /* MREMAP_MAYMOVE | MREMAP_FIXED */, elsewhere) == elsewhere else {
                throw POSIXFailure(call: "mremap", errno: errno)
            }
            munmap(elsewhere, allocation)
            base = try Self.map(old, allocation, flags: MAP_FIXED)
        }
        return base == old
    }

    func fill(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var offset = 0
        while offset < count {
            var value = random.next()
            memcpy(base + offset, &value, min(8, count - offset))
            offset += 8
        }
    }

    func entry() -> iovec { iovec(iov_base: base, iov_len: count) }

    func release() {
        guard !released else { return }
        released = true
        switch kind {
        case .freeThenMalloc256KiB, .freeThenMalloc64MiB: free(base)
        default: munmap(base, allocation)
        }
    }

    deinit { release() }
}

struct POSIXFailure: Error, CustomStringConvertible {
    let call: String
    let errno: Int32
    var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// A fixture whose registrations are per operation (monitor disabled), opened once.
enum PerOperationFixture {
    private static let shared: Result<RDMAFixture, any Error> = Result {
        var configuration = EngineConfiguration()
        configuration.monitor = .disabled(reason: "test")
        return try RDMAFixture.makePrivate(configuration)
    }

    static func get() throws -> RDMAFixture { try shared.get() }
}

@Suite("RDMAHardware: a registration never serves memory whose pages were replaced",
       .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"),
       .serialized)
struct RDMAHardwarePageReplacementTests {
    static let size = 1 << 20

    func fixture(for mode: ReplacementMode) throws -> RDMAFixture {
        mode == .monitorDisabled ? try PerOperationFixture.get() : try RDMAFixture.get()
    }

    @Test("push from and pull into a buffer whose pages were replaced move the new bytes",
          arguments: ReplacementMode.allCases, PageReplacement.allCases)
    func replacedPages(mode: ReplacementMode, kind: PageReplacement) async throws {
        let fixture = try fixture(for: mode)
        let buffer = try ReplaceableBuffer(kind, count: Self.size)
        let size = buffer.count
        let remote = HostBuffer(count: size, invalidatingIn: fixture.engine)
        let peer = HostBuffer(count: size, invalidatingIn: fixture.engine)

        // Prime: the buffer is registered (and, with a monitor, cached) in both directions.
        buffer.fill(seed: 1)
        try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
        #expect(memcmp(remote.base, buffer.base, size) == 0)
        try await withIOV([peer.entry()]) { src in try await withIOV([buffer.entry()]) { dst in try await fixture.spdkDomain.pull(from: src, into: dst) } }

        if mode == .monitorAndInvalidate { fixture.engine.invalidate(address: buffer.base, length: size) }
        let sameAddress = try buffer.replace()
        if !sameAddress { print("\(kind): the new buffer landed at another address") }

        // Push from the new pages: the domain must receive their bytes.
        buffer.fill(seed: 2)
        try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
        #expect(memcmp(remote.base, buffer.base, size) == 0, "push after \(kind) (\(mode)) sent the old pages' bytes")

        // Pull into the new pages: they must receive the domain's bytes.
        var random = SplitMix64(seed: 3)
        peer.fillRandom(&random)
        try await withIOV([peer.entry()]) { src in try await withIOV([buffer.entry()]) { dst in try await fixture.spdkDomain.pull(from: src, into: dst) } }
        #expect(memcmp(peer.base, buffer.base, size) == 0, "pull after \(kind) (\(mode)) wrote into the old pages")
        fixture.engine.invalidate(address: buffer.base, length: size)
    }

    @Test("push from and pull into unmapped memory fail with an errno, never 0", arguments: ReplacementMode.allCases)
    func unmappedMemory(mode: ReplacementMode) async throws {
        let fixture = try fixture(for: mode)
        let size = Self.size
        let buffer = try ReplaceableBuffer(.munmapThenMapFixed, count: size)
        let remote = HostBuffer(count: size, invalidatingIn: fixture.engine)
        buffer.fill(seed: 4)
        try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
        if mode == .monitorAndInvalidate { fixture.engine.invalidate(address: buffer.base, length: size) }
        buffer.release()

        let pushError = await #expect(throws: DMAError.self) {
            try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
        }
        let pullError = await #expect(throws: DMAError.self) {
            try await withIOV([remote.entry()]) { src in try await withIOV([buffer.entry()]) { dst in try await fixture.spdkDomain.pull(from: src, into: dst) } }
        }
        #expect(pushError?.errno == EFAULT, "\(String(describing: pushError))")
        #expect(pullError?.errno == EFAULT, "\(String(describing: pullError))")
    }

    @Test("a translation whose memory was replaced is refused with -EFAULT, no invalidate needed; a new one moves the new bytes")
    func translationOfReplacedMemory() async throws {
        let fixture = try RDMAFixture.get()
        let size = 64 << 10
        let buffer = try ReplaceableBuffer(.munmapThenMapFixed, count: size)
        let target = HostBuffer(count: size, invalidatingIn: fixture.engine)
        let translation = UnsafeMutablePointer<spdk_memory_domain_translation_result>.allocate(capacity: 1)
        defer { translation.deallocate() }
        translation.initialize(to: try fixture.domain.translate(buffer.base, length: size, to: fixture.domain))
        _ = try buffer.replace()
        buffer.fill(seed: 5)
        let error = await #expect(throws: DMAError.self) {
            try await withIOV([target.entry()]) { dst in
                try await withIOV([buffer.entry()]) { src in
                    try await fixture.domain.transfer(into: dst, from: .system, src, translation: translation)
                }
            }
        }
        #expect(error?.errno == EFAULT, "the old keys name the old pages: \(String(describing: error))")
        translation.pointee = try fixture.domain.translate(buffer.base, length: size, to: fixture.domain)
        try await withIOV([target.entry()]) { dst in
            try await withIOV([buffer.entry()]) { src in
                try await fixture.domain.transfer(into: dst, from: .system, src, translation: translation)
            }
        }
        #expect(memcmp(target.base, buffer.base, size) == 0)
        fixture.engine.invalidate(address: buffer.base, length: size)
    }

    @Test("with the monitor, cached registrations are dropped by its events (counted); without, every operation registers")
    func countersShowTheMode() async throws {
        let monitored = try RDMAFixture.get()
        guard case .active = monitored.engine.registrationMonitor else {
            Issue.record("the guest kernel has userfaultfd: the monitor must be active (\(monitored.engine.registrationMonitor.summary))")
            return
        }
        let before = monitored.engine.registrationStatistics
        let buffer = try ReplaceableBuffer(.munmapThenMapFixed, count: 64 << 10)
        let remote = HostBuffer(count: 64 << 10, invalidatingIn: monitored.engine)
        for _ in 0..<2 {
            try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await monitored.domain.push(into: dst, from: src) } }
        }
        _ = try buffer.replace()
        try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await monitored.domain.push(into: dst, from: src) } }
        let after = monitored.engine.registrationStatistics
        #expect(after.monitorInvalidations > before.monitorInvalidations)
        #expect(after.hits > before.hits, "the second push hit the cache")
        let line = try #require(monitored.driver.diagnose().first { $0.subject == "registration cache" })
        #expect(line.ok && line.detail.hasPrefix("userfaultfd monitor active"), "\(line.detail)")

        let perOperation = try PerOperationFixture.get()
        let plain = perOperation.engine.registrationStatistics
        for _ in 0..<3 {
            try await withIOV([remote.entry()]) { dst in try await withIOV([buffer.entry()]) { src in try await perOperation.domain.push(into: dst, from: src) } }
        }
        let counted = perOperation.engine.registrationStatistics
        #expect(counted.transientRegistrations - plain.transientRegistrations >= 3, "each push registered its buffers")
        #expect(counted.liveRegions == 0, "nothing stays registered")
        let disabled = try #require(perOperation.driver.diagnose().first { $0.subject == "registration cache" })
        #expect(disabled.detail.hasPrefix("registration cache disabled"), "\(disabled.detail)")
    }
}

@Suite("RDMAHardware: pinned memory is bounded, idle regions are evicted least recently used first",
       .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwarePinnedMemoryTests {
    @Test("32 buffers through a cache of 1 MiB and 8 regions: evictions keep both bounds; a larger buffer fails cleanly")
    func boundedAndEvicted() async throws {
        var configuration = EngineConfiguration()
        configuration.registrationLimit = 1 << 20
        configuration.registrationRegionLimit = 8
        let fixture = try RDMAFixture.makePrivate(configuration)
        defer { fixture.close() }
        let remote = HostBuffer(count: 64 << 10, invalidatingIn: fixture.engine)
        // Every other 64 KiB of one mapping: regions that never touch, so none merge.
        let mapping = try ReplaceableBuffer(.munmapThenMapFixed, count: 64 * (64 << 10))
        var random = SplitMix64(seed: 9)
        for index in 0..<32 {
            let local = iovec(iov_base: mapping.base + 2 * index * (64 << 10), iov_len: 64 << 10)
            UnsafeMutableRawBufferPointer(start: local.iov_base, count: local.iov_len).withMemoryRebound(to: UInt64.self) { words in
                for word in words.indices { words[word] = random.next() }
            }
            try await withIOV([remote.entry()]) { dst in try await withIOV([local]) { src in try await fixture.domain.push(into: dst, from: src) } }
            #expect(memcmp(remote.base, local.iov_base, local.iov_len) == 0)
            let statistics = fixture.engine.registrationStatistics
            #expect(statistics.registeredBytes <= 1 << 20)
            #expect(statistics.liveRegions + statistics.retiredRegions <= 8)
        }
        #expect(fixture.engine.registrationStatistics.evictions >= 24)

        let large = HostBuffer(count: 2 << 20, invalidatingIn: fixture.engine)
        let remoteLarge = HostBuffer(count: 2 << 20, invalidatingIn: fixture.engine)
        let error = await #expect(throws: DMAError.self) {
            try await withIOV([remoteLarge.entry()]) { dst in try await withIOV([large.entry()]) { src in try await fixture.domain.push(into: dst, from: src) } }
        }
        #expect(error?.errno == ENOMEM, "a buffer larger than the limit can never be registered: \(String(describing: error))")
    }
}
