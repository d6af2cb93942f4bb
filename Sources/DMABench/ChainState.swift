import CDMAHostABI
import DMAHost
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What every completion callback of a ``ChainRunner`` run needs and never changes during it.
struct ChainConstants {
    var domain: OpaquePointer
    var operation: BenchOperation
    var size: Int
    var slots: Int
    var stride: Int
    var source: UnsafeMutableRawPointer?
    var destination: UnsafeMutableRawPointer
    /// The first slot of the domain's side when the domain is remote (``RemoteSlots``).
    var remote: UnsafeMutableRawPointer?
    var samples: UnsafeMutablePointer<UInt64>
    var sampleCapacity: Int
    /// Slots (operations in flight): slot `i` runs sequence numbers `i`, `i + queueDepth`, …
    var queueDepth: Int
    /// Percentage of the operations that pull; the others push (fill: ignored).
    var readPercent: Int
    /// Entries per side of an operation.
    var iovecs: Int
    /// With more than one entry per side: `2 * iovecs` entries per slot (source, then
    /// destination), valid until the slot's completion; nil otherwise (the slot's own iovecs).
    var iovecStorage: UnsafeMutablePointer<iovec>?
}

/// The shared state of a ``ChainRunner`` run, in raw memory: completion callbacks on device
/// threads read and update it through atomics, without reference counting, so that the last
/// thing a callback touches is its decrement of ``outstanding`` (after which the runner may
/// free everything).
///
/// Layout: the constants in the first 128 bytes, the flags (rarely written) in the next 128.
/// Nothing here is written per operation: sequence numbers and completion counts live in the
/// slots, so that threads completing different slots do not pass cache lines back and forth.
struct ChainState {
    let base: UnsafeMutableRawPointer

    private static let flagsOffset = 128
    private static let flagCount = 9
    static let byteCount = 256

    init(constants: ChainConstants) {
        precondition(MemoryLayout<ChainConstants>.size <= Self.flagsOffset, "the constants must fit their line")
        base = UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount, alignment: 128)
        base.bindMemory(to: ChainConstants.self, capacity: 1).initialize(to: constants)
        let flags = (base + Self.flagsOffset).bindMemory(to: Atomic<Int>.self, capacity: Self.flagCount)
        for index in 0..<Self.flagCount { (flags + index).initialize(to: Atomic(0)) }
        sampleInterval.pointee.store(64, ordering: .relaxed)
    }

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    /// Frees the memory; only once nothing is outstanding.
    func deallocate() {
        base.assumingMemoryBound(to: ChainConstants.self).deinitialize(count: 1)
        (base + Self.flagsOffset).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: Self.flagCount)
        base.deallocate()
    }

    @inline(__always) var constants: UnsafeMutablePointer<ChainConstants> { base.assumingMemoryBound(to: ChainConstants.self) }
    @inline(__always) private func flag(_ index: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        (base + Self.flagsOffset).assumingMemoryBound(to: Atomic<Int>.self) + index
    }
    /// Slots not finished: in flight, or parked for the runner.
    @inline(__always) var outstanding: UnsafeMutablePointer<Atomic<Int>> { flag(0) }
    /// Nonzero once the run ends (deadline or failure): completions no longer resubmit.
    @inline(__always) var stopping: UnsafeMutablePointer<Atomic<Int>> { flag(1) }
    /// Slots parked for the runner to resubmit.
    @inline(__always) var parked: UnsafeMutablePointer<Atomic<Int>> { flag(2) }
    /// The first failure's negated errno (0: none).
    @inline(__always) var failure: UnsafeMutablePointer<Atomic<Int>> { flag(3) }
    /// The sequence number of the operation that failed first.
    @inline(__always) var failedSequence: UnsafeMutablePointer<Atomic<Int>> { flag(4) }
    /// Nonzero while latencies are recorded (the measured window).
    @inline(__always) var measuring: UnsafeMutablePointer<Atomic<Int>> { flag(5) }
    /// Latency samples taken (may exceed the capacity; the excess is dropped).
    @inline(__always) var sampleCount: UnsafeMutablePointer<Atomic<Int>> { flag(6) }
    /// One operation in this many is timed.
    @inline(__always) var sampleInterval: UnsafeMutablePointer<Atomic<Int>> { flag(7) }
    /// Submissions the device refused with -EAGAIN (each parks its slot for a retry).
    @inline(__always) var refusals: UnsafeMutablePointer<Atomic<Int>> { flag(8) }

    /// Records the first failure and stops resubmission.
    func fail(_ rc: Int32, sequence: Int) {
        if failure.pointee.compareExchange(expected: 0, desired: Int(rc), ordering: .relaxed).exchanged {
            failedSequence.pointee.store(sequence, ordering: .relaxed)
        }
        stopping.pointee.store(1, ordering: .releasing)
    }
}

/// One in-flight slot of a ``ChainRunner`` run (128 bytes): the state pointer, the sequence
/// number of its operation, the submission time of a timed one, the parked flag, the last
/// sequence that completed successfully, its completion count (read by the runner), its
/// completion token, and the iovecs (valid until the completion). Only the slot's current
/// owner writes it.
///
/// The device never sees the record: it completes through the slot's token (a
/// ``CompletionSlot``), which calls ``chainCompletion`` once per operation at most; a repeated
/// or late completion is counted by the token and never reaches the record.
struct ChainSlot {
    let record: UnsafeMutableRawPointer

    static let stride = 128
    private static let sequenceOffset = 8
    private static let submittedOffset = 16
    private static let parkedOffset = 24
    private static let lastGoodOffset = 32
    private static let completionsOffset = 40
    private static let tokenOffset = 48
    private static let sourceOffset = 64
    private static let destinationOffset = 80

    init(_ record: UnsafeMutableRawPointer) { self.record = record }

    /// Initialises `count` records pointing at `state`, each with a completion token.
    /// - Throws: ``DMAError/outOfMemory(_:)`` when the process has no completion token left.
    static func allocate(count: Int, state: ChainState) throws(DMAError) -> UnsafeMutableRawPointer {
        var tokens: [CompletionSlot] = []
        for _ in 0..<count {
            guard let token = CompletionSlot.acquire() else {
                for token in tokens { token.relinquish() }
                throw .outOfMemory("no completion token left for \(count) operations in flight; lower --qd")
            }
            tokens.append(token)
        }
        let records = UnsafeMutableRawPointer.allocate(byteCount: count * stride, alignment: 128)
        for index in 0..<count {
            let record = records + index * stride
            (record + tokenOffset).bindMemory(to: CompletionSlot.self, capacity: 1).initialize(to: tokens[index])
            record.bindMemory(to: UnsafeMutableRawPointer.self, capacity: 1).initialize(to: state.base)
            // The first start adds the queue depth: slot `index` begins with sequence `index`.
            (record + sequenceOffset).bindMemory(to: Int.self, capacity: 1).initialize(to: index - count)
            (record + completionsOffset).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
            (record + submittedOffset).bindMemory(to: UInt64.self, capacity: 1).initialize(to: 0)
            (record + parkedOffset).bindMemory(to: Atomic<Int>.self, capacity: 1).initialize(to: Atomic(0))
            (record + lastGoodOffset).bindMemory(to: Int.self, capacity: 1).initialize(to: -1)
            (record + sourceOffset).bindMemory(to: iovec.self, capacity: 2).initialize(repeating: iovec(), count: 2)
        }
        return records
    }

    /// Frees records made by ``allocate(count:state:)`` and gives their tokens back (an
    /// expired one stays out of use: see ``CompletionSlot/relinquish()``).
    static func deallocate(_ records: UnsafeMutableRawPointer, count: Int) {
        for index in 0..<count {
            ChainSlot(records + index * stride).token.relinquish()
            ((records + index * stride) + parkedOffset).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 1)
            ((records + index * stride) + completionsOffset).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 1)
        }
        records.deallocate()
    }

    @inline(__always) var state: ChainState { ChainState(record.load(as: UnsafeMutableRawPointer.self)) }
    @inline(__always) var sequence: UnsafeMutablePointer<Int> { (record + Self.sequenceOffset).assumingMemoryBound(to: Int.self) }
    @inline(__always) var submittedAt: UnsafeMutablePointer<UInt64> {
        (record + Self.submittedOffset).assumingMemoryBound(to: UInt64.self)
    }
    @inline(__always) var parked: UnsafeMutablePointer<Atomic<Int>> {
        (record + Self.parkedOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) var lastGood: UnsafeMutablePointer<Int> { (record + Self.lastGoodOffset).assumingMemoryBound(to: Int.self) }
    /// Operations of this slot completed (written by its owner, read by the runner).
    @inline(__always) var completions: UnsafeMutablePointer<Atomic<Int>> {
        (record + Self.completionsOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    /// The slot's completion token.
    @inline(__always) var token: CompletionSlot { (record + Self.tokenOffset).load(as: CompletionSlot.self) }
    @inline(__always) var source: UnsafeMutablePointer<iovec> { (record + Self.sourceOffset).assumingMemoryBound(to: iovec.self) }
    @inline(__always) var destination: UnsafeMutablePointer<iovec> {
        (record + Self.destinationOffset).assumingMemoryBound(to: iovec.self)
    }
}
