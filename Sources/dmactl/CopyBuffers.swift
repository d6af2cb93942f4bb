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
final class SegmentedBuffer {
    let base: UnsafeMutableRawPointer
    let length: Int
    let iovecs: UnsafeMutableBufferPointer<iovec>
    /// Gives the memory back (`free`, or the dma-buf domain's release).
    private let releaseMemory: (UnsafeMutableRawPointer) -> Void

    /// Allocates `length` bytes aligned to `alignment` (at least 64) and cuts them into
    /// `lengths` (which sum to `length`).
    init(length: Int, alignment: Int, lengths: [Int]) throws(Failure) {
        var memory: UnsafeMutableRawPointer?
        let rc = posix_memalign(&memory, max(alignment, 64), max(length, 1))
        guard rc == 0, let memory else { throw Failure(.failed, "cannot allocate \(length) bytes: \(String(cString: strerror(rc)))") }
        base = memory
        releaseMemory = { free($0) }
        self.length = length
        iovecs = Self.cut(base, lengths)
    }

    /// Allocates the buffer where `endpoint`'s domain can address it: from a dma-buf domain
    /// through its allocation interface (`dmahost/dmabuf.h`; page-aligned), else host memory.
    convenience init(for endpoint: Endpoint, length: Int, alignment: Int, lengths: [Int]) throws(Failure) {
        if let context = endpoint.dmabufContext {
            try self.init(dmabuf: context, domain: endpoint.name, length: length, lengths: lengths)
        } else {
            try self.init(length: length, alignment: alignment, lengths: lengths)
        }
    }

    private init(dmabuf context: UnsafePointer<dmahost_dmabuf_domain_ctx>, domain: String, length: Int, lengths: [Int]) throws(Failure) {
        guard let alloc = context.pointee.alloc, let release = context.pointee.release else {
            throw Failure(.failed, "\(domain): its dma-buf context has no alloc/release")
        }
        var buffer = dmahost_dmabuf_buffer()
        buffer.size = MemoryLayout<dmahost_dmabuf_buffer>.size
        let rc = alloc(context, UInt64(max(length, 1)), &buffer)
        guard rc == 0, let address = buffer.addr else {
            throw Failure(.failed, "\(domain): cannot allocate a dma-buf of \(length) bytes: \(String(cString: strerror(-rc)))")
        }
        base = address
        releaseMemory = { _ = release(context, $0) }
        self.length = length
        iovecs = Self.cut(base, lengths)
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
        releaseMemory(base)
        iovecs.deallocate()
    }

    /// The bytes.
    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: length) }

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

/// A byte count given on the command line: a number with an optional K, M or G suffix (powers of 1024).
struct ByteCount: Sendable {
    let value: Int

    init?(_ text: String) {
        let multipliers: [Character: Int] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
        var digits = Substring(text)
        var multiplier = 1
        if let last = digits.last, let factor = multipliers[last] {
            multiplier = factor
            digits = digits.dropLast()
        }
        guard let number = Int(digits), number > 0 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        value = product
    }
}
