@testable import CPUCopyEngine
import Synchronization
import Testing

/// Where each field of the cell at `cell` lies, in bytes from the cell's start.
private func fieldRanges(of cell: UnsafeMutablePointer<RingCell>) -> [(name: String, bytes: Range<Int>)] {
    let base = UnsafeRawPointer(cell)
    // An Atomic is never copied: a borrowed one is the stored one, at its own address.
    func atomic(_ name: String, _ field: borrowing Atomic<Int>) -> (name: String, bytes: Range<Int>) {
        withUnsafePointer(to: field) { pointer in
            let start = UnsafeRawPointer(pointer) - base
            return (name, start..<(start + MemoryLayout<Atomic<Int>>.size))
        }
    }
    let descriptorStart = withUnsafeMutablePointer(to: &cell.pointee.descriptor) { UnsafeRawPointer($0) - base }
    return [
        atomic("sequence", cell.pointee.sequence),
        atomic("remaining", cell.pointee.remaining),
        atomic("status", cell.pointee.status),
        atomic("lengthHint", cell.pointee.lengthHint),
        ("descriptor", descriptorStart..<(descriptorStart + MemoryLayout<Descriptor>.size)),
    ]
}

@Suite("CPU copy engine: descriptor ring layout")
struct RingLayoutTests {
    @Test("a cell fits its block, and the blocks are aligned for it")
    func cellFitsBlock() {
        DescriptorRing.checkLayout()
        #expect(DescriptorRing.blockBytes >= 128, "two cache lines: no false sharing, no adjacent-line prefetch")
        #expect(MemoryLayout<RingCell>.size <= DescriptorRing.blockBytes)
        #expect(DescriptorRing.blockBytes % MemoryLayout<RingCell>.alignment == 0)
    }

    @Test("the fields of a cell do not overlap and lie inside it")
    func fieldsDoNotOverlap() {
        let ring = DescriptorRing(capacity: 4)
        defer { ring.deallocate() }
        let ranges = fieldRanges(of: ring.cell(1)).sorted { $0.bytes.lowerBound < $1.bytes.lowerBound }
        #expect(ranges.count == 5)
        #expect(ranges.first?.bytes.lowerBound == 0)
        for (earlier, later) in zip(ranges, ranges.dropFirst()) {
            #expect(earlier.bytes.upperBound <= later.bytes.lowerBound, "\(earlier.name) overlaps \(later.name)")
        }
        for field in ranges {
            #expect(field.bytes.upperBound <= MemoryLayout<RingCell>.size, "\(field.name) lies outside the cell")
        }
    }

    @Test("cells and cursors each start a block of their own")
    func blocks() {
        let capacity = 8
        let ring = DescriptorRing(capacity: capacity)
        defer { ring.deallocate() }
        let block = DescriptorRing.blockBytes
        for position in 0..<capacity {
            let address = UInt(bitPattern: ring.cell(position))
            #expect(address % UInt(block) == 0)
            #expect(UnsafeRawPointer(ring.cell(position)) - UnsafeRawPointer(ring.cell(0)) == position * block)
        }
        #expect(ring.cell(capacity + 3) == ring.cell(3), "position p uses cell p % capacity")
        let cursors = [ring.tail, ring.head, ring.reap].map { UInt(bitPattern: $0) }
        for cursor in cursors { #expect(cursor % UInt(block) == 0) }
        #expect(Set(cursors).count == 3)
    }

    @Test("a cell's sequence goes free → published → released through one lap")
    func oneLap() throws {
        let capacity = 4
        let ring = DescriptorRing(capacity: capacity)
        defer { ring.deallocate() }
        func sequence(_ position: Int) -> Int { ring.cell(position).pointee.sequence.load(ordering: .relaxed) }
        for position in 0..<capacity {
            #expect(sequence(position) == position, "free for its first lap")
        }
        let first = try ring.reserve(1)
        #expect(first == 0)
        ring.cell(first).pointee.lengthHint.store(100, ordering: .relaxed)
        ring.publish(first)
        #expect(sequence(first) == first + 1)
        #expect(ring.hasPublishedWork())
        let claimed = ring.claim(limit: 8, byteBudget: 1 << 20, share: 1)
        #expect(claimed.first == first && claimed.count == 1)
        #expect(!ring.hasPublishedWork())
        ring.release(first)
        #expect(sequence(first) == first + capacity, "free for the next lap")
        #expect(try ring.reserve(capacity) == 1, "every cell is free again")
        #expect(throws: SubmitError.queueFull) { try ring.reserve(1) }
        #expect(ring.close() == 1 + capacity)
        #expect(throws: SubmitError.stopped) { try ring.reserve(1) }
    }
}
