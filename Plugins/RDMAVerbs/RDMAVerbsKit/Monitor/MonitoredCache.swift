import CMemoryMonitor
import RegistrationCache

/// A registration cache and what it has taken from the memory monitor: before each lookup,
/// ``synchronize()`` applies the unmap, remap and discard events published since the last
/// one, so a lookup never finds a region whose memory went away before the lookup began.
///
/// Not thread-safe: it lives inside the lock of its owner, like the cache.
struct MonitoredCache<Handle> {
    let cache: RegistrationCache<Handle>
    let monitor: MemoryMonitor?
    /// Monitor events this cache has applied.
    private var cursor: UInt64 = 0
    /// The monitor sequence those events are consistent with.
    private var seen: UInt64 = .max
    /// Regions dropped because their memory went away (or because events were lost).
    private(set) var monitorInvalidations: UInt64 = 0
    /// Times the cache fell behind the monitor's log (or the monitor failed) and dropped everything.
    private(set) var resets: UInt64 = 0

    /// Makes a cache whose regions are watched by `monitor`; with no monitor every region is
    /// transient (registered per operation).
    init(pageSize: UInt, maxBytes: UInt, maxRegions: Int, monitor: MemoryMonitor?,
         register: @escaping RegistrationCache<Handle>.Register, deregister: @escaping RegistrationCache<Handle>.Deregister) {
        self.monitor = monitor
        cache = RegistrationCache(pageSize: pageSize, maxBytes: maxBytes, maxRegions: maxRegions,
                                  watch: { range in monitor?.watch(range) ?? false },
                                  register: register, deregister: deregister)
        // Events published before the cache existed concern none of its regions.
        if let monitor { catchUp(monitor, applying: false) }
    }

    /// Applies the monitor's events since the last call. One atomic load when there are none.
    @inline(__always)
    mutating func synchronize() {
        guard let monitor, monitor.sequence != seen else { return }
        catchUp(monitor, applying: true)
    }

    private mutating func catchUp(_ monitor: MemoryMonitor, applying: Bool) {
        let capacity = Int(DMAHOST_MEMMON_LOG_CAPACITY)
        let ranges = UnsafeMutableBufferPointer<dmahost_memmon_range>.allocate(capacity: capacity)
        defer { ranges.deallocate() }
        var lost: Int32 = 0
        let count = dmahost_memmon_collect(monitor.raw, &cursor, &seen, ranges.baseAddress, capacity, &lost)
        guard applying else { return }
        if lost != 0 {
            resets += 1
            monitorInvalidations += UInt64(cache.invalidateAll())
            return
        }
        for range in ranges.prefix(count) where range.end > range.start {
            monitorInvalidations += UInt64(cache.invalidate(address: range.start, length: range.end - range.start))
        }
    }
}
