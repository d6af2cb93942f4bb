import CDMAHostABI
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Every benchmark's completions notify this event count. It lives as long as the process
/// because a completion callback still calls it after publishing its slot's state, when the
/// runner may already have moved on (a shared one only costs spurious wake-ups).
let benchCompletionEvents = EventCount()

/// The in-flight slots of a domain benchmark: one 128-byte record per queue entry, holding
/// the state the completion callback publishes and the iovecs of the operation (which must
/// stay valid until completion).
///
/// Layout of a record: `state` (0 in flight, 1 done), `rc`, `completedAt` (written by the
/// callback for sampled operations), `sampled`, `submittedAt`, source iovec, destination iovec.
/// The callback touches the record only before it stores `state = 1`.
struct BenchSlots {
    static let stride = 128
    private static let rcOffset = 8
    private static let completedOffset = 16
    private static let sampledOffset = 24
    private static let submittedOffset = 32
    private static let sourceOffset = 64
    private static let destinationOffset = 80

    let count: Int
    let base: UnsafeMutableRawPointer

    init(count: Int) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: count * Self.stride, alignment: 128)
        for index in 0..<count {
            let record = base + index * Self.stride
            record.bindMemory(to: Atomic<Int>.self, capacity: 4)
            let atomics = record.assumingMemoryBound(to: Atomic<Int>.self)
            for field in 0..<4 { (atomics + field).initialize(to: Atomic(field == 0 ? 1 : 0)) }
            (record + Self.submittedOffset).bindMemory(to: UInt64.self, capacity: 1).initialize(to: 0)
            (record + Self.sourceOffset).bindMemory(to: iovec.self, capacity: 2).initialize(repeating: iovec(), count: 2)
        }
    }

    /// Frees the records. Only once every slot is done.
    func deallocate() {
        for index in 0..<count {
            (base + index * Self.stride).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 4)
        }
        base.deallocate()
    }

    @inline(__always) func record(_ index: Int) -> UnsafeMutableRawPointer { base + index &* Self.stride }
    @inline(__always) static func state(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<Int>> {
        record.assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) static func rc(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<Int>> {
        (record + rcOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) static func completedAt(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<Int>> {
        (record + completedOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) static func sampled(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<Int>> {
        (record + sampledOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) static func submittedAt(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt64> {
        (record + submittedOffset).assumingMemoryBound(to: UInt64.self)
    }
    @inline(__always) static func source(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<iovec> {
        (record + sourceOffset).assumingMemoryBound(to: iovec.self)
    }
    @inline(__always) static func destination(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<iovec> {
        (record + destinationOffset).assumingMemoryBound(to: iovec.self)
    }
}

/// The completion callback of every benchmark operation; `argument` is the slot record.
let benchCompletion: spdk_memory_domain_data_cpl_cb = { argument, rc in
    guard let record = argument else { return }
    if BenchSlots.sampled(record).pointee.load(ordering: .relaxed) != 0 {
        BenchSlots.completedAt(record).pointee.store(Int(truncatingIfNeeded: monotonicNanoseconds()), ordering: .relaxed)
    }
    BenchSlots.rc(record).pointee.store(Int(rc), ordering: .relaxed)
    BenchSlots.state(record).pointee.store(1, ordering: .releasing)
    benchCompletionEvents.notify()
}
