import CDMAHostABI
// Only for the name of `struct spdk_memory_domain` (see ``CDomain``); no test reads its fields.
import CDMAHostRegistry
import DMAHost
import Foundation

/// Helpers shared by the test files. Tests run in parallel in one process and share the
/// registry, so every test names its domains with ids from ``uniqueID(_:)`` and never
/// assumes how many domains exist overall.

/// The C handle type, `struct spdk_memory_domain *`, as the C ABI functions import it here.
/// (The test target sees the record's definition through the core's modules, so Swift imports
/// the handle as a typed pointer rather than `OpaquePointer`; `MemoryDomain.handle` is the
/// same address.)
typealias CDomain = UnsafeMutablePointer<spdk_memory_domain>

extension MemoryDomain {
    /// The handle typed as the C functions take it.
    var c: CDomain { CDomain(handle) }
}

/// A device id no other test uses: `<label>-<UUID>`.
func uniqueID(_ label: String = #function) -> String {
    let cleaned = label.prefix { $0 != "(" }
    return "\(cleaned)-\(UUID().uuidString)"
}

/// Creates a domain through the C ABI (`spdk_memory_domain_create`) with no context.
/// - Returns: The handle, or nil when creation failed (recorded by the caller's expectation).
func cCreate(_ type: spdk_dma_device_type = SPDK_DMA_DEVICE_TYPE_DMA, id: String?) -> CDomain? {
    var domain: CDomain?
    let rc: Int32
    if let id {
        rc = id.withCString { spdk_memory_domain_create(&domain, type, nil, $0) }
    } else {
        rc = spdk_memory_domain_create(&domain, type, nil, nil)
    }
    return rc == 0 ? domain : nil
}

/// All domains a filtered walk `get_first(id)` / `get_next(.., id)` visits, in order.
/// Safe while other tests run: only domains with this (unique) id are dereferenced.
func cWalk(id: String) -> [CDomain] {
    id.withCString { cid in
        var found: [CDomain] = []
        var cursor = spdk_memory_domain_get_first(cid)
        while let current = cursor {
            found.append(current)
            cursor = spdk_memory_domain_get_next(current, cid)
        }
        return found
    }
}

/// `get_next(prev, id)` with a Swift string id (nil: unfiltered).
func cNext(_ prev: CDomain?, id: String?) -> CDomain? {
    guard let id else { return spdk_memory_domain_get_next(prev, nil) }
    return id.withCString { spdk_memory_domain_get_next(prev, $0) }
}

/// `get_first(id)` with a Swift string id (nil: unfiltered).
func cFirst(id: String?) -> CDomain? {
    guard let id else { return spdk_memory_domain_get_first(nil) }
    return id.withCString { spdk_memory_domain_get_first($0) }
}

/// The device id of a domain as a Swift string (nil when it has none).
func cID(_ domain: CDomain?) -> String? {
    spdk_memory_domain_get_dma_device_id(domain).map { String(cString: $0) }
}

/// An address that no real object has, for checking that pointers pass through untouched.
func tag(_ n: Int) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(bitPattern: 0x5EED_0000 + 0x100 * n)!
}

/// Runs `body(index)` on `count` dedicated threads at once and waits for all of them.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
}

/// Heap buffers and an iovec array describing them (one iovec per segment), freed on deinit.
/// For tests that hand buffers to async operations without scoped-pointer gymnastics.
final class IOBuffers: @unchecked Sendable {
    // @unchecked Sendable: the memory is only read and written by the test that owns the
    // object and by the operation it is awaiting; nothing touches it concurrently.

    /// The bytes, all segments back to back.
    let bytes: UnsafeMutableRawBufferPointer
    /// One iovec per segment.
    let iovs: UnsafeMutableBufferPointer<iovec>

    /// Allocates `segments` segments of `segmentSize` bytes, filled with `fill`.
    init(segments: Int = 1, segmentSize: Int = 64, fill: UInt8 = 0xAB) {
        bytes = .allocate(byteCount: max(1, segments * segmentSize), alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: fill)
        iovs = .allocate(capacity: max(1, segments))
        for i in 0..<segments {
            iovs[i] = iovec(iov_base: bytes.baseAddress! + i * segmentSize, iov_len: segmentSize)
        }
        if segments == 0 { iovs[0] = iovec(iov_base: nil, iov_len: 0) }
        count = segments
    }

    /// The number of segments.
    let count: Int

    /// The iovec array as the Swift API takes it.
    var buffer: UnsafeMutableBufferPointer<iovec> { UnsafeMutableBufferPointer(rebasing: iovs[0..<count]) }

    deinit {
        bytes.deallocate()
        iovs.deallocate()
    }
}
