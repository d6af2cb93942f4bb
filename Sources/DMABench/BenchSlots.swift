import CDMAHostABI
import DMAHost
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The in-flight slots of a domain benchmark: one 128-byte record per queue entry, holding
/// the state the completion callback publishes and the iovecs of the operation (which must
/// stay valid until completion).
///
/// Record layout: `state` (32-bit futex word: 0 in flight, 1 done), `waiting` (32-bit: the
/// runner sleeps on `state`), `rc`, `completedAt` (for sampled operations), `sampled`,
/// `exited` (the callback has finished touching the record), `submittedAt`, the record's
/// completion token (a ``CompletionSlot``), source iovec, destination iovec. A record is
/// reused or freed only once `exited` is set, so a callback never touches freed memory, and
/// the runner is woken only by the operation it waits for.
///
/// The device never sees the record: it completes through the record's token, which calls
/// ``benchCompletion`` once per operation at most. A repeated or late completion (after a
/// timeout expired the token) is counted by the token and never reaches the record.
struct BenchSlots {
    static let stride = 128
    private static let waitingOffset = 4
    private static let rcOffset = 8
    private static let completedOffset = 16
    private static let sampledOffset = 24
    private static let exitedOffset = 32
    private static let submittedOffset = 40
    private static let tokenOffset = 48
    private static let sourceOffset = 64
    private static let destinationOffset = 80

    let count: Int
    let base: UnsafeMutableRawPointer

    /// Allocates `count` records, each with a completion token of its own.
    /// - Throws: ``DMAError/outOfMemory(_:)`` when the process has no completion token left.
    init(count: Int) throws(DMAError) {
        var tokens: [CompletionSlot] = []
        for _ in 0..<count {
            guard let token = CompletionSlot.acquire() else {
                for token in tokens { token.relinquish() }
                throw .outOfMemory("no completion token left for \(count) operations in flight; lower --qd")
            }
            tokens.append(token)
        }
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: count * Self.stride, alignment: 128)
        for index in 0..<count {
            (base + index * Self.stride + Self.tokenOffset).bindMemory(to: CompletionSlot.self, capacity: 1)
                .initialize(to: tokens[index])
            let record = base + index * Self.stride
            record.bindMemory(to: Atomic<UInt32>.self, capacity: 2).initialize(to: Atomic(1))
            (record + Self.waitingOffset).assumingMemoryBound(to: Atomic<UInt32>.self).initialize(to: Atomic(0))
            let words = (record + Self.rcOffset).bindMemory(to: Atomic<Int>.self, capacity: 4)
            for field in 0..<4 { (words + field).initialize(to: Atomic(field == 3 ? 1 : 0)) }
            (record + Self.submittedOffset).bindMemory(to: UInt64.self, capacity: 1).initialize(to: 0)
            (record + Self.sourceOffset).bindMemory(to: iovec.self, capacity: 2).initialize(repeating: iovec(), count: 2)
        }
    }

    /// Frees the records, after waiting until no callback is still inside one, and gives
    /// the tokens back (an expired one stays out of use: see ``CompletionSlot/relinquish()``).
    func deallocate() {
        for index in 0..<count { Self.awaitExit(record(index)) }
        for index in 0..<count { Self.token(record(index)).relinquish() }
        for index in 0..<count {
            let record = self.record(index)
            record.assumingMemoryBound(to: Atomic<UInt32>.self).deinitialize(count: 2)
            (record + Self.rcOffset).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 4)
        }
        base.deallocate()
    }

    @inline(__always) func record(_ index: Int) -> UnsafeMutableRawPointer { base + index &* Self.stride }
    @inline(__always) static func state(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt32>> {
        record.assumingMemoryBound(to: Atomic<UInt32>.self)
    }
    @inline(__always) static func waiting(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (record + waitingOffset).assumingMemoryBound(to: Atomic<UInt32>.self)
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
    @inline(__always) static func exited(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Atomic<Int>> {
        (record + exitedOffset).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) static func submittedAt(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt64> {
        (record + submittedOffset).assumingMemoryBound(to: UInt64.self)
    }
    @inline(__always) static func token(_ record: UnsafeMutableRawPointer) -> CompletionSlot {
        (record + tokenOffset).load(as: CompletionSlot.self)
    }
    @inline(__always) static func source(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<iovec> {
        (record + sourceOffset).assumingMemoryBound(to: iovec.self)
    }
    @inline(__always) static func destination(_ record: UnsafeMutableRawPointer) -> UnsafeMutablePointer<iovec> {
        (record + destinationOffset).assumingMemoryBound(to: iovec.self)
    }

    @inline(__always) static func isDone(_ record: UnsafeMutableRawPointer) -> Bool {
        state(record).pointee.load(ordering: .acquiring) == 1
    }

    /// Marks a record in flight before its operation is submitted (its previous callback has exited).
    @inline(__always) static func arm(_ record: UnsafeMutableRawPointer) {
        exited(record).pointee.store(0, ordering: .relaxed)
        state(record).pointee.store(0, ordering: .relaxed)
    }

    /// Marks a record done without a callback (the submission failed synchronously).
    @inline(__always) static func disarm(_ record: UnsafeMutableRawPointer, rc value: Int32) {
        rc(record).pointee.store(Int(value), ordering: .relaxed)
        state(record).pointee.store(1, ordering: .releasing)
        exited(record).pointee.store(1, ordering: .releasing)
    }

    /// Waits until the callback of the record's last operation has returned from the record.
    /// Almost always immediate; when the callback's thread was preempted between publishing
    /// and exiting (it may share this CPU), sleep in short steps instead of spinning for its
    /// whole time slice.
    @inline(__always) static func awaitExit(_ record: UnsafeMutableRawPointer) {
        var rounds = 0
        while exited(record).pointee.load(ordering: .acquiring) == 0 {
            rounds &+= 1
            if rounds < 256 { cpuRelax() } else { usleep(20) }
        }
    }

    /// Sleeps until the record is done (futex on `state`; the callback wakes only a waiter), or
    /// until the monotonic clock passes `deadline` (nanoseconds).
    /// - Returns: True when the record is done.
    static func sleepUntilDone(_ record: UnsafeMutableRawPointer, deadline: UInt64) -> Bool {
        let word = UnsafeMutableRawPointer(state(record)).assumingMemoryBound(to: UInt32.self)
        waiting(record).pointee.store(1, ordering: .relaxed)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        defer { waiting(record).pointee.store(0, ordering: .relaxed) }
        while state(record).pointee.load(ordering: .acquiring) == 0 {
            let now = monotonicNanoseconds()
            guard now < deadline else { return false }
            _ = Futex.wait(on: word, expected: 0, timeoutNanoseconds: Int64(clamping: deadline - now))
        }
        return true
    }
}

/// The completion handler of every benchmark operation (called through the record's token);
/// `argument` is the slot record.
/// Publishes the result, wakes the runner if it sleeps on this record, then marks the
/// record as no longer used by the callback (its last access).
let benchCompletion: CompletionHandler = { argument, rc in
    guard let record = argument else { return }
    if BenchSlots.sampled(record).pointee.load(ordering: .relaxed) != 0 {
        BenchSlots.completedAt(record).pointee.store(Int(truncatingIfNeeded: monotonicNanoseconds()), ordering: .relaxed)
    }
    BenchSlots.rc(record).pointee.store(Int(rc), ordering: .relaxed)
    BenchSlots.state(record).pointee.store(1, ordering: .releasing)
    atomicMemoryFence(ordering: .sequentiallyConsistent)
    if BenchSlots.waiting(record).pointee.load(ordering: .relaxed) != 0 {
        Futex.wake(UnsafeMutableRawPointer(BenchSlots.state(record)).assumingMemoryBound(to: UInt32.self), count: 1)
    }
    BenchSlots.exited(record).pointee.store(1, ordering: .releasing)
}
