import CDMAHostABI
import DMAHost
import SeededRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One contiguous, aligned allocation described as several iovec segments: host memory, or a
/// buffer of a dma-buf domain (whose address space holds only its own allocations).
///
/// The segments describe `length` bytes from `base`. The allocation may hold `lead` bytes
/// before them and `trail` bytes after them (guard bytes an operation must not touch, and an
/// offset that makes `base` unaligned); ``span`` describes the whole allocation.
final class SegmentedBuffer {
    /// The first byte the segments describe.
    let base: UnsafeMutableRawPointer
    /// The bytes the segments describe.
    let length: Int
    /// The segments: `length` bytes from `base`.
    let iovecs: UnsafeMutableBufferPointer<iovec>
    /// One entry covering the whole allocation, guard bytes included.
    let span: UnsafeMutableBufferPointer<iovec>
    /// The start of the allocation (`base - lead`).
    let allocationBase: UnsafeMutableRawPointer
    /// Bytes before `base` and after the last described byte.
    let lead: Int, trail: Int
    /// Gives the memory back (`free`, or the dma-buf domain's release).
    private let releaseMemory: (UnsafeMutableRawPointer) -> Void

    /// Allocates `lead + length + trail` bytes aligned to `alignment` (at least 64) and cuts
    /// the `length` bytes after `lead` into `lengths` (which sum to `length`).
    init(length: Int, alignment: Int, lengths: [Int], lead: Int = 0, trail: Int = 0) throws(Failure) {
        let total = lead + length + trail
        var memory: UnsafeMutableRawPointer?
        let rc = posix_memalign(&memory, max(alignment, 64), max(total, 1))
        guard rc == 0, let memory else { throw Failure(.failed, "cannot allocate \(total) bytes: \(String(cString: strerror(rc)))") }
        releaseMemory = { free($0) }
        (allocationBase, base, self.length, self.lead, self.trail) = (memory, memory + lead, length, lead, trail)
        iovecs = Self.cut(base, lengths)
        span = Self.cut(memory, [total])
    }

    /// Allocates the buffer where `endpoint`'s domain can address it: from a dma-buf domain
    /// through its allocation interface (`dmahost/dmabuf.h`; page-aligned), from a remote domain
    /// through its server's allocator (`dmahost/remote.h`; never dereferenced here), else host memory.
    convenience init(for endpoint: Endpoint, length: Int, alignment: Int, lengths: [Int], lead: Int = 0, trail: Int = 0) throws(Failure) {
        if let context = endpoint.dmabufContext {
            try self.init(dmabuf: context, domain: endpoint.name, length: length, lengths: lengths, lead: lead, trail: trail)
        } else if let context = endpoint.remoteContext {
            try self.init(remote: context, domain: endpoint.name, length: length, alignment: alignment, lengths: lengths,
                          lead: lead, trail: trail)
        } else {
            try self.init(length: length, alignment: alignment, lengths: lengths, lead: lead, trail: trail)
        }
    }

    private init(dmabuf context: UnsafePointer<dmahost_dmabuf_domain_ctx>, domain: String, length: Int, lengths: [Int],
                 lead: Int, trail: Int) throws(Failure) {
        guard let alloc = context.pointee.alloc, let release = context.pointee.release else {
            throw Failure(.failed, "\(domain): its dma-buf context has no alloc/release")
        }
        let total = lead + length + trail
        var buffer = dmahost_dmabuf_buffer()
        buffer.size = MemoryLayout<dmahost_dmabuf_buffer>.size
        let rc = alloc(context, UInt64(max(total, 1)), &buffer)
        guard rc == 0, let address = buffer.addr else {
            throw Failure(.failed, "\(domain): cannot allocate a dma-buf of \(total) bytes: \(String(cString: strerror(-rc)))")
        }
        releaseMemory = { _ = release(context, $0) }
        (allocationBase, base, self.length, self.lead, self.trail) = (address, address + lead, length, lead, trail)
        iovecs = Self.cut(base, lengths)
        span = Self.cut(address, [total])
    }

    private init(remote context: UnsafePointer<dmahost_remote_domain_ctx>, domain: String, length: Int, alignment: Int,
                 lengths: [Int], lead: Int, trail: Int) throws(Failure) {
        guard let alloc = context.pointee.alloc, let release = context.pointee.free else {
            throw Failure(.failed, "\(domain): its remote context has no alloc/free")
        }
        let total = lead + length + trail
        var address: UInt64 = 0
        var powerOfTwo: UInt64 = 64
        while powerOfTwo < UInt64(alignment) { powerOfTwo <<= 1 }
        let rc = alloc(context, UInt64(max(total, 1)), powerOfTwo, &address)
        guard rc == 0, let start = UnsafeMutableRawPointer(bitPattern: UInt(address)) else {
            throw Failure(.failed, "\(domain): the server cannot allocate \(total) bytes: \(String(cString: strerror(-rc)))")
        }
        releaseMemory = { _ = release(context, UInt64(UInt(bitPattern: $0))) }
        (allocationBase, base, self.length, self.lead, self.trail) = (start, start + lead, length, lead, trail)
        iovecs = Self.cut(base, lengths)
        span = Self.cut(start, [total])
    }

    /// `lengths` consecutive segments from `base`.
    private static func cut(_ base: UnsafeMutableRawPointer, _ lengths: [Int]) -> UnsafeMutableBufferPointer<iovec> {
        let iovecs = UnsafeMutableBufferPointer<iovec>.allocate(capacity: max(lengths.count, 1))
        var offset = 0
        for (index, segment) in lengths.enumerated() {
            iovecs[index] = iovec(iov_base: base + offset, iov_len: segment)
            offset += segment
        }
        return iovecs
    }

    deinit {
        releaseMemory(allocationBase)
        iovecs.deallocate()
        span.deallocate()
    }

    /// The bytes the segments describe.
    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: length) }

    /// The whole allocation, guard bytes included.
    var allocation: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: allocationBase, count: lead + length + trail) }

    /// Splits `length` into `count` segments at random multiples of `alignment` (some may be
    /// empty when there are more segments than aligned units).
    static func layout<G: RandomNumberGenerator>(length: Int, count: Int, alignment: Int, using generator: inout G) -> [Int] {
        let unit = max(alignment, 1)
        let units = length / unit
        var cuts = (0..<max(count - 1, 0)).map { _ in Int.random(in: 0...units, using: &generator) * unit }.sorted()
        cuts.insert(0, at: 0)
        cuts.append(length)
        return zip(cuts.dropFirst(), cuts).map { $0 - $1 }
    }
}
