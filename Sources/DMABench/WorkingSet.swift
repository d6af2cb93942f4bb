import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a benchmark does to each buffer.
public enum BenchOperation: String, Sendable, CaseIterable {
    /// Copy a source slot into a destination slot (device: push; baseline: memcpy).
    case copy
    /// Zero a destination slot (device: memzero; baseline: memset).
    case fill
    /// Read a slot of the device's domain into a system-memory slot (device: pull, e.g. RDMA
    /// READ; baseline: memcpy). The source slots play the domain's buffers.
    case read
    /// Write a system-memory slot into the device's domain: the same as ``copy`` (device: push,
    /// e.g. RDMA WRITE; baseline: memcpy).
    case write

    /// True for the operations that move data from a source slot (all but ``fill``).
    public var copiesData: Bool { self != .fill }
}

/// The buffers a benchmark rotates over: `slots` source and destination slots of `size` bytes,
/// each slot starting on a page boundary. Operation `j` uses slot `j % slots`, for the device
/// and for the baseline alike.
///
/// Cold (default): the slots cover at least 4× the last-level cache (source and destination
/// together), so every operation streams from and to memory, as real transfers do. Hot: one
/// slot per in-flight operation, reused every round, so small sizes stay in the caches.
public final class WorkingSet: @unchecked Sendable {
    // @unchecked Sendable: the buffers are raw memory written by the benchmark's operations;
    // the structure itself is immutable after init.

    /// Bytes per operation.
    public let size: Int
    /// Distance between slots (size rounded up to whole pages).
    public let stride: Int
    /// Number of slots per side.
    public let slots: Int
    /// True for the hot variant.
    public let hot: Bool
    /// Source slots (copy only).
    public let source: UnsafeMutableRawPointer?
    /// Destination slots.
    public let destination: UnsafeMutableRawPointer
    /// The cache size the cold plan was based on, and whether it came from sysfs.
    public let cacheBytes: Int
    /// False when sysfs gave no cache size and ``defaultCacheBytes`` was assumed.
    public let cacheSizeFromSysfs: Bool

    /// Assumed last-level cache size when sysfs has none.
    public static let defaultCacheBytes = 32 << 20
    /// Largest size of one side of a cold working set, unless the queue depth needs more slots.
    public static let sideCap = 512 << 20

    private let mappingBytes: Int
    /// What the set was planned for, to make another like it (``sibling()``).
    private let plan: (operation: BenchOperation, queueDepth: Int, cache: CacheInfo)

    /// Plans and allocates the slots, and touches every page (so that no page fault is measured).
    /// - Throws: ``DMAError/outOfMemory(_:)`` when the memory cannot be mapped.
    public init(operation: BenchOperation, size: Int, queueDepth: Int, hot: Bool, cache: CacheInfo = .read()) throws(DMAError) {
        self.size = size
        self.hot = hot
        plan = (operation, queueDepth, cache)
        stride = PageSize.roundUp(byteCount: size)
        cacheBytes = cache.lastLevelBytes ?? Self.defaultCacheBytes
        cacheSizeFromSysfs = cache.lastLevelBytes != nil
        slots = Self.slotCount(operation: operation, stride: stride, queueDepth: queueDepth, hot: hot, cacheBytes: cacheBytes)
        let advice = hot ? "lower --size or --qd" : "lower --size or --qd, or use --hot"
        let sides = operation.copiesData ? 2 : 1
        try MemoryBudget.current().check(buffers: sides * slots, of: stride, for: "the benchmark working set",
                                         parts: operation.copiesData ? "sources and destinations" : "destinations", advice: advice)
        let side = slots * stride
        mappingBytes = sides * side
        let mapped = mmap(nil, mappingBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw DMAError(errno: errno, context: "mmap \(mappingBytes) bytes for the benchmark working set; \(advice)")
        }
        if operation.copiesData {
            source = mapped
            destination = mapped + side
            memset(mapped, 0x5A, side)
            memset(mapped + side, 0, side)
        } else {
            source = nil
            destination = mapped
            memset(mapped, 0xA5, side)
        }
    }

    deinit { munmap(source ?? destination, mappingBytes) }

    /// Another working set planned like this one (same size, slots, temperature), in memory
    /// of its own: what a second thread of the ceiling copies, so that no two threads share a
    /// buffer or a cache line.
    /// - Throws: ``DMAError/outOfMemory(_:)`` when the memory cannot be mapped.
    public func sibling() throws(DMAError) -> WorkingSet {
        try WorkingSet(operation: plan.operation, size: size, queueDepth: plan.queueDepth, hot: hot, cache: plan.cache)
    }

    /// Slots per side: hot, one per in-flight operation; cold, enough to cover the cache
    /// 4 times over (2× per side for copies), at least one per in-flight operation while that
    /// stays under ``sideCap``.
    static func slotCount(operation: BenchOperation, stride: Int, queueDepth: Int, hot: Bool, cacheBytes: Int) -> Int {
        if hot { return max(1, queueDepth) }
        let sideTarget = (operation.copiesData ? 2 : 4) * cacheBytes
        let forCache = (sideTarget + stride - 1) / stride
        let forQueue = min(queueDepth, max(1, sideCap / stride))
        return max(1, forCache, forQueue)
    }

    /// Total bytes of the working set (source and destination).
    public var bytes: Int { mappingBytes }

    /// Source slot `index % slots` (copy only).
    @inline(__always)
    public func sourceSlot(_ index: Int) -> UnsafeMutableRawPointer? { source.map { $0 + (index % slots) * stride } }

    /// Destination slot `index % slots`.
    @inline(__always)
    public func destinationSlot(_ index: Int) -> UnsafeMutableRawPointer { destination + (index % slots) * stride }
}
