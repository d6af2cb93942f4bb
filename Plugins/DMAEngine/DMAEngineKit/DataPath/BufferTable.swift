import DMASync
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The buffers a dma-buf domain owns, ordered by mapping address, and the translation of
/// addresses in the domain's space to them.
final class BufferTable: Sendable {
    private struct Entry: Sendable {
        let start: UInt
        let end: UInt
        let buffer: DMABuffer
    }

    private let entries = Locked<[Entry]>([])
    /// The domain id, for messages.
    let domainID: String

    init(domainID: String) { self.domainID = domainID }

    /// Adds a mapped buffer.
    func insert(_ buffer: DMABuffer) {
        let start = UInt(bitPattern: buffer.base)
        let entry = Entry(start: start, end: start + UInt(buffer.length), buffer: buffer)
        entries.withLock { list in
            let index = Self.firstIndex(in: list, notBelow: start)
            list.insert(entry, at: index)
        }
    }

    /// Removes the buffer whose mapping starts at `address`; nil when there is none.
    func remove(startingAt address: UInt) -> DMABuffer? {
        entries.withLock { list in
            let index = Self.firstIndex(in: list, notBelow: address)
            guard index < list.count, list[index].start == address else { return nil }
            return list.remove(at: index).buffer
        }
    }

    /// Removes every buffer.
    func removeAll() -> [DMABuffer] {
        entries.withLock { list in
            defer { list.removeAll() }
            return list.map(\.buffer)
        }
    }

    /// Number of buffers.
    var count: Int { entries.withLock { $0.count } }

    /// The buffer containing [`address`, `address + length`).
    /// - Throws: EFAULT when no buffer contains `address`; EINVAL when the range leaves the buffer.
    func buffer(containing address: UInt, length: Int) throws(DMAError) -> DMABuffer {
        let entry = entries.withLock { list -> Entry? in
            let index = Self.firstIndex(in: list, notBelow: address + 1)
            guard index > 0 else { return nil }
            let candidate = list[index - 1]
            return address < candidate.end ? candidate : nil
        }
        guard let entry else {
            throw .system(errno: EFAULT, "address 0x\(String(address, radix: 16)) is not inside any buffer of domain \(domainID); use addresses inside buffers allocated or imported through the domain (dmahost_dmabuf_domain_ctx alloc/import_fd)")
        }
        guard UInt(max(length, 0)) <= entry.end - address else {
            throw .invalidArgument("range 0x\(String(address, radix: 16))+\(length) runs past the end of its buffer in domain \(domainID) (buffer 0x\(String(entry.start, radix: 16))+\(entry.end - entry.start)); split it per buffer")
        }
        return entry.buffer
    }

    /// The distinct buffers `pieces` lie in, each piece checked to lie in one buffer.
    func resolve(_ pieces: [Piece]) throws(DMAError) -> [DMABuffer] {
        var result: [DMABuffer] = []
        for piece in pieces {
            let buffer = try buffer(containing: piece.address, length: piece.length)
            if !result.contains(where: { $0 === buffer }) { result.append(buffer) }
        }
        return result
    }

    private static func firstIndex(in list: [Entry], notBelow address: UInt) -> Int {
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].start < address { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// The CPU access one operation makes to dma-bufs: each buffer once, with the union of the
/// directions it is used in, bracketed by `DMA_BUF_IOCTL_SYNC` START before and END after.
struct AccessPlan: Sendable {
    private(set) var items: [(buffer: DMABuffer, access: CPUAccess)] = []

    /// Adds `buffers` with `access` (merged with what the buffer already has).
    mutating func add(_ buffers: [DMABuffer], _ access: CPUAccess) {
        for buffer in buffers {
            if let index = items.firstIndex(where: { $0.buffer === buffer }) {
                items[index].access.formUnion(access)
            } else {
                items.append((buffer, access))
            }
        }
    }

    /// Begins access on every buffer; on failure ends the ones begun and throws.
    func begin() throws(DMAError) {
        for (index, item) in items.enumerated() {
            do throws(DMAError) {
                try item.buffer.beginAccess(item.access)
            } catch {
                for begun in items[..<index] { try? begun.buffer.endAccess(begun.access) }
                throw error
            }
        }
    }

    /// Ends access on every buffer; returns the first error, after trying all.
    func end() -> DMAError? {
        var first: DMAError?
        for item in items {
            do throws(DMAError) { try item.buffer.endAccess(item.access) } catch { first = first ?? error }
        }
        return first
    }
}
