import CDMAHostABI
import CDMAHostThreadState
import CDMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The handler a ``CompletionSlot`` calls, at most once per operation: the owner's `context`
/// and the status, 0 or a negated errno (never anything else: see ``PluginStatus``).
public typealias CompletionHandler = @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void

/// Where the current operation of a ``CompletionSlot`` stands.
public enum CompletionPhase: UInt8, Sendable, CustomStringConvertible {
    /// No operation yet.
    case idle = 0
    /// Armed; the submitting call has not returned yet.
    case submitting = 1
    /// The submitting call returned 0; the completion is awaited.
    case inFlight = 2
    /// The completion came before the submitting call returned; its status waits for the owner.
    case completedEarly = 3
    /// The submitting call returned an error: no completion may follow (final).
    case refused = 4
    /// The completion was delivered, to the handler or to the owner (final).
    case delivered = 5
    /// The owner stopped waiting (timeout) before the completion came (final; never reused).
    case expired = 6

    public var description: String {
        switch self {
        case .idle: "idle"
        case .submitting: "submitting"
        case .inFlight: "in flight"
        case .completedEarly: "completed early"
        case .refused: "refused"
        case .delivered: "delivered"
        case .expired: "expired"
        }
    }
}

/// What ``CompletionSlot/submitted(_:)`` found once the submitting call returned.
public enum CompletionSubmission: Sendable, Equatable {
    /// The call returned 0 and the completion has not come yet: the slot's handler runs once
    /// when it does (on the completing thread), unless the owner expires the slot first.
    case pending
    /// The call returned 0 and the completion came during the call, with this status. The
    /// handler is **not** called: the owner handles the status itself, after the call, so that
    /// a device that completes synchronously never nests the owner's code inside its own call.
    case completed(Int32)
    /// The call returned this error (0 is never refused; a malformed status reads -EIO). No
    /// completion may follow; one that does (or did, during the call) is counted.
    case refused(Int32)
}

/// A completion token: the `cpl_cb`/`cpl_cb_arg` pair the host passes with an operation it
/// waits for itself (the Swift async API, `dmactl copy`, `dmactl bench`), which turns whatever
/// the domain does with it into exactly one delivery, or a counted fault.
///
/// ## What a slot guarantees
/// For each operation armed on a slot, the owner learns its outcome exactly once: from
/// ``submitted(_:)`` (a refusal, or a completion that came during the submitting call) or from
/// the handler (a completion that came later), or not at all when it ``expire(_:)``s the
/// operation first. A completion called a second time, called for an operation whose
/// submitting call returned an error (before or after that return), called after the owner
/// stopped waiting, or called with an argument that is no pending operation is never delivered:
/// it is counted and logged as a ``CompletionFault`` against the operation's domain. This
/// holds in debug and release builds alike: it is the state machine below, not assertions.
///
/// ## Why a late call is always safe (memory)
/// The argument the domain gets is **not a pointer**: it encodes the slot's index and the
/// operation's generation (`generation << 32 | (index + 1)`). The slot lives in a
/// ``CompletionSlotTable`` whose chunks are never freed, so decoding any argument, at any time,
/// reads valid memory, and a slot that has since served other operations has a different
/// generation. Every transition is a compare-and-swap on one 64-bit word (generation,
/// phase, status): of a completion racing a timeout, or two racing completions, exactly one
/// wins. A slot whose operation expired is never reused, so even a completion that comes
/// after a timeout finds its own generation and is counted as late. The generation has 29 bits:
/// a stray call could only be taken for a later operation of the same slot after 2^29 reuses
/// of that slot in between, while that later operation is in flight.
///
/// ## Who moves the phase
/// ```
/// owner:  idle/refused/delivered --arm--> submitting
/// domain: submitting --completion--> completedEarly      inFlight --completion--> delivered (handler runs)
/// owner:  submitting --submitted(0)--> inFlight          submitting --submitted(error)--> refused
///         completedEarly --submitted(0)--> delivered      completedEarly --submitted(error)--> refused (counted)
///         inFlight --expire--> expired
/// ```
///
/// ## A resubmission without an atomic read-modify-write
/// An operation armed inside its own slot's handler (a completion callback that starts the
/// slot's next operation, as a benchmark's queue entries do) is armed to return by its
/// *mark*, where the kernel offers membarrier(2) (private expedited; checked once per
/// process): a call that returned 0 does not move the phase; ``submitted(_:)`` stores the
/// operation's generation in the slot's mark and then reads the phase, and "submitting with
/// the returned mark" counts as in flight everywhere (``phase`` reports `inFlight`). A
/// completion that sees the mark delivers as from in flight. One that does not see it moves
/// the slot to completedEarly as before; then, unless it runs inside the owner's call on the
/// owner's own thread (a device completing synchronously), it waits up to about a
/// microsecond for the mark (often still in the owner's store buffer), and otherwise runs
/// `dmasync_membarrier()` and looks at the mark again. The membarrier guarantees that the
/// owner's read came after the move (the owner takes the status) or that the mark is now
/// visible (the completion delivers); when both happen, one compare-and-swap from
/// completedEarly to delivered decides. A round trip
/// then takes one locked instruction (the completion's) instead of two, and the membarrier
/// (a system call that interrupts the process's other running threads) is paid only by a
/// completion on another thread that overtakes the end of the submitting call. Other
/// operations (the Swift async API's, a submitting thread's), and every operation without
/// membarrier, move by compare-and-swap, as the diagram shows: their completions usually come
/// on another thread, which would otherwise wait for the mark.
///
/// Slots come from ``acquire()``; a slot is the owner's until it ``relinquish()``es it (or arms
/// it with `relinquishAfterDelivery`, and the handler ran). A benchmark keeps one slot per
/// queue entry and re-arms it for every operation.
///
/// The guarantee covers completions the host receives. C programs that pass their own
/// `cpl_cb` to `spdk_memory_domain_*` get exactly what the domain does: the C dispatch
/// passes callbacks through untouched.
public struct CompletionSlot: Hashable, @unchecked Sendable {
    // @unchecked Sendable: the record is process-lifetime memory whose every field is atomic.

    /// The slot's memory in the table (never freed).
    public let record: UnsafeMutableRawPointer

    init(record: UnsafeMutableRawPointer) { self.record = record }

    /// The C completion callback to pass with an argument from ``arm(domain:handler:context:relinquishAfterDelivery:)``.
    public static let callback: spdk_memory_domain_data_cpl_cb = { argument, rc in CompletionSlot.complete(argument, rc) }

    /// A slot no operation uses, or nil when the table is full (4,194,304 slots in use).
    public static func acquire() -> CompletionSlot? {
        CompletionSlotTable.shared.acquire().map(CompletionSlot.init(record:))
    }

    /// The slot's index in the table.
    public var index: UInt32 { CompletionSlotTable.index(of: record) }

    /// The phase of the slot's current operation.
    public var phase: CompletionPhase {
        let current = state.pointee.load(ordering: .acquiring)
        let phase = Word.phase(current)
        return phase == .submitting && hasReturned(Word.generation(current)) ? .inFlight : phase
    }

    /// Gives the slot back for reuse. Refused (returns false, the slot is kept out of use) while
    /// an operation is pending or after it expired: a late completion must find the slot as
    /// its operation left it.
    @discardableResult
    public func relinquish() -> Bool {
        switch phase {
        case .idle, .refused, .delivered:
            CompletionSlotTable.shared.release(record)
            return true
        case .submitting, .inFlight, .completedEarly, .expired:
            return false
        }
    }

    /// Starts a new operation on the slot (its next generation).
    /// - Parameters:
    ///   - domain: The domain whose callback will run (faults are counted against it).
    ///   - handler: Called once, on the completing thread, when the completion comes after the
    ///     submitting call returned 0.
    ///   - context: Passed to `handler`.
    ///   - relinquishAfterDelivery: Give the slot back to the pool once `handler` returned.
    /// - Returns: The `cpl_cb_arg` to pass with ``callback``; nil when the slot's previous
    ///   operation is not finished (or expired), in which case nothing changed.
    @inline(__always)
    public func arm(domain: OpaquePointer?, handler: CompletionHandler, context: UnsafeMutableRawPointer?,
                    relinquishAfterDelivery: Bool = false) -> UnsafeMutableRawPointer? {
        let current = state.pointee.load(ordering: .relaxed)
        let phase = Word.phase(current)
        guard phase == .idle || phase == .refused || phase == .delivered else { return nil }
        let generation = Word.generation(current)
        let next = (generation &+ 1) & Word.generationMask
        guard let argument = Word.argument(generation: next, index: index) else { return nil }
        field(CompletionSlotTable.previousOffset).pointee.store(UInt(generation << 3) | UInt(phase.rawValue), ordering: .relaxed)
        // A slot re-armed for the same owner (a benchmark's queue entry) writes only what
        // changed: every store here is one the next atomic operation waits for.
        update(CompletionSlotTable.previousDomainOffset, to: field(CompletionSlotTable.domainOffset).pointee.load(ordering: .relaxed))
        update(CompletionSlotTable.handlerOffset, to: unsafeBitCast(handler, to: UInt.self))
        update(CompletionSlotTable.contextOffset, to: UInt(bitPattern: context))
        update(CompletionSlotTable.domainOffset, to: UInt(bitPattern: domain))
        update(CompletionSlotTable.flagsOffset, to: relinquishAfterDelivery ? 1 : 0)
        // Resubmitted from this slot's own handler (a benchmark's queue entry): the call's
        // return is marked rather than swapped in, where membarrier is available.
        if dmasync_membarrier_ready() != 0 && dmahost_delivering_slot_get() == record {
            returnMark.pointee.store(Mark.armed(next), ordering: .relaxed)
        }
        state.pointee.store(Word.make(next, .submitting, 0), ordering: .releasing)
        dmahost_submitting_slot_set(record)
        return argument
    }

    /// Tells the slot what the submitting call returned, and learns what to do.
    /// - Parameter rc: The call's return value, as the domain returned it (normalised here:
    ///   a malformed status is counted and reads -EIO).
    @inline(__always)
    public func submitted(_ rc: Int32) -> CompletionSubmission {
        dmahost_submitting_slot_set(nil)
        if rc == 0 {
            let generation = Word.generation(state.pointee.load(ordering: .relaxed))
            if returnMark.pointee.load(ordering: .relaxed) == Mark.armed(generation) {
                return returned(generation: generation)
            }
        }
        let status = PluginStatus(rc)
        if !status.isWellFormed {
            CompletionFaults.record(.malformedStatus, domain: domainBits, detail: "the submitting call returned \(rc)")
        }
        let value = status.negativeErrno
        var current = state.pointee.load(ordering: .acquiring)
        while true {
            let generation = Word.generation(current)
            switch Word.phase(current) {
            case .submitting:
                let next = Word.make(generation, value == 0 ? .inFlight : .refused, value)
                let (exchanged, original) = state.pointee.compareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing)
                if exchanged { return value == 0 ? .pending : .refused(value) }
                current = original
            case .completedEarly:
                // Only the owner moves the slot out of this phase: plain stores suffice.
                let completion = Word.rc(current)
                if value == 0 {
                    state.pointee.store(Word.make(generation, .delivered, completion), ordering: .releasing)
                    return .completed(completion)
                }
                CompletionFaults.record(.afterRefusal, domain: domainBits,
                                        detail: "the completion was called (status \(completion)), then the submitting call returned \(value)")
                state.pointee.store(Word.make(generation, .refused, value), ordering: .releasing)
                return .refused(value)
            case .idle, .inFlight, .refused, .delivered, .expired:
                // The owner did not arm the slot before this call: nothing is pending.
                return .refused(value == 0 ? -EINVAL : value)
            }
        }
    }

    /// ``submitted(_:)`` of a call that returned 0, where membarrier(2) is available: marks
    /// the call as returned, then reads the phase, with no atomic read-modify-write between
    /// them (the common case costs two plain accesses). A completion on another thread that
    /// finds the call not yet returned moves the slot to completedEarly, then runs
    /// `dmasync_membarrier()` before it looks at the mark again: either this thread's read
    /// comes after that completion's (and sees completedEarly), or the completion's second
    /// look sees the mark. When both see each other, a compare-and-swap settles who delivers.
    @inline(__always)
    private func returned(generation: UInt64) -> CompletionSubmission {
        returnMark.pointee.store(Mark.returned(generation), ordering: .releasing)
        dmasync_compiler_barrier()
        let current = state.pointee.load(ordering: .acquiring)
        if current == Word.make(generation, .submitting, 0) { return .pending }
        guard Word.generation(current) == generation, Word.phase(current) == .completedEarly else {
            // Delivered by a completion that saw the mark, or expired since: either way the
            // operation is not this call's to report.
            return .pending
        }
        let completion = Word.rc(current)
        let (won, _) = state.pointee.compareExchange(
            expected: current, desired: Word.make(generation, .delivered, completion), ordering: .acquiringAndReleasing)
        return won ? .completed(completion) : .pending
    }

    /// True when the submitting call of operation `generation` returned 0 and marked it.
    @inline(__always)
    private func hasReturned(_ generation: UInt64) -> Bool {
        returnMark.pointee.load(ordering: .acquiring) == Mark.returned(generation)
    }

    /// Gives up waiting for the operation `argument` stands for: from now on its completion
    /// is counted as late and never delivered, and the slot is never reused.
    /// - Returns: True when the operation was in flight and is now expired; false when its
    ///   completion won the race (then it is, or is being, delivered), or it is not in flight.
    public func expire(_ argument: UnsafeMutableRawPointer) -> Bool {
        guard let decoded = Word.decode(argument), decoded.index == UInt(index) else { return false }
        return expire(generation: decoded.generation)
    }

    /// Gives up waiting for whatever operation is in flight on the slot (see ``expire(_:)``).
    /// - Returns: True when one was in flight and is now expired.
    public func expireInFlight() -> Bool {
        expire(generation: nil)
    }

    private func expire(generation wanted: UInt64?) -> Bool {
        var current = state.pointee.load(ordering: .acquiring)
        while isPending(current) && (wanted == nil || Word.generation(current) == wanted) {
            let next = Word.make(Word.generation(current), .expired, 0)
            let (exchanged, original) = state.pointee.compareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// True when `word` is an operation whose submitting call returned 0 and whose
    /// completion has not come: in flight, or submitting with the returned mark.
    @inline(__always)
    private func isPending(_ word: UInt64) -> Bool {
        let phase = Word.phase(word)
        return phase == .inFlight || (phase == .submitting && hasReturned(Word.generation(word)))
    }

    // MARK: The completion path (the domain's thread)

    /// ``callback``: decodes the argument and moves the slot, or counts a fault.
    static func complete(_ argument: UnsafeMutableRawPointer?, _ rc: Int32) {
        guard let decoded = Word.decode(argument), let record = CompletionSlotTable.shared.record(at: decoded.index) else {
            CompletionFaults.record(.unknown, domain: 0, detail: "argument \(argument.map { "\($0)" } ?? "NULL") was never issued by the host")
            return
        }
        let slot = CompletionSlot(record: record)
        let status = PluginStatus(rc)
        let value = status.negativeErrno
        var current = slot.state.pointee.load(ordering: .acquiring)
        while true {
            guard Word.generation(current) == decoded.generation else {
                slot.stray(generation: decoded.generation)
                return
            }
            let phase = Word.phase(current)
            switch phase {
            case .submitting, .inFlight:
                // After the call returned (in flight, or submitting with the mark): deliver.
                // During the call: leave the status to the owner (completed early).
                let mark = phase == .submitting ? slot.returnMark.pointee.load(ordering: .acquiring) : 0
                let marked = mark == Mark.armed(decoded.generation) || mark == Mark.returned(decoded.generation)
                var afterCall = phase == .inFlight || mark == Mark.returned(decoded.generation)
                let otherThread = dmahost_submitting_slot_get() != record
                if !afterCall && marked && otherThread {
                    // From another thread: the call has often returned and its mark is still
                    // on its way (the owner's store buffer). Wait a little for it before the
                    // membarrier, which costs microseconds when other threads run.
                    afterCall = slot.awaitReturnMark(generation: decoded.generation, word: current)
                    let now = slot.state.pointee.load(ordering: .acquiring)
                    if now != current {
                        current = now
                        continue
                    }
                }
                let next = Word.make(decoded.generation, afterCall ? .delivered : .completedEarly, value)
                let (exchanged, original) = slot.state.pointee.compareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing)
                guard exchanged else {
                    current = original
                    continue
                }
                if !status.isWellFormed {
                    CompletionFaults.record(.malformedStatus, domain: slot.domainBits, detail: "the completion's status was \(rc)")
                }
                if afterCall {
                    slot.deliver(value)
                } else if marked && otherThread {
                    slot.settleEarlyCompletion(generation: decoded.generation, status: value)
                }
                return
            case .completedEarly, .delivered:
                CompletionFaults.record(.repeated, domain: slot.domainBits)
                return
            case .refused:
                CompletionFaults.record(.afterRefusal, domain: slot.domainBits, detail: "the submitting call had returned \(Word.rc(current))")
                return
            case .expired:
                CompletionFaults.record(.late, domain: slot.domainBits)
                return
            case .idle:
                CompletionFaults.record(.unknown, domain: 0, detail: "slot \(decoded.index) has no operation")
                return
            }
        }
    }

    /// Pauses for up to ``markWaitPauses`` CPU pauses (about a microsecond) until the returned
    /// mark of `generation` is visible or the state moves away from `word`.
    /// - Returns: True when the mark is visible.
    private func awaitReturnMark(generation: UInt64, word: UInt64) -> Bool {
        for _ in 0..<Self.markWaitPauses {
            if hasReturned(generation) { return true }
            if state.pointee.load(ordering: .relaxed) != word { return false }
            dmasync_cpu_relax()
        }
        return hasReturned(generation)
    }

    /// How long a completion from another thread waits for the returned mark before it takes
    /// the membarrier path: 32 pauses, about 1 µs on the 2-vCPU EPYC VM, where a membarrier
    /// cost 3.3 µs with another thread running (0.3 µs without).
    static let markWaitPauses = 32

    /// After a completion moved the slot to completedEarly from a thread other than the one
    /// in the submitting call: the owner may have returned from that call and read the phase
    /// before the move (``returned(generation:)``). The membarrier makes sure that either the
    /// owner's read saw completedEarly (it delivers) or the mark is visible here; when the
    /// mark is set, a compare-and-swap decides who delivers. On the owner's own thread inside
    /// its call (a device completing synchronously) the owner cannot have read yet: no
    /// membarrier.
    private func settleEarlyCompletion(generation: UInt64, status: Int32) {
        if dmasync_membarrier() != 0 {
            // Unexpected once registered: wait until the owner's call returned (its mark) or
            // the owner took the status (the phase moved on).
            while !hasReturned(generation) && state.pointee.load(ordering: .acquiring) == Word.make(generation, .completedEarly, status) {
                sched_yield()
            }
        }
        guard hasReturned(generation) else { return }
        let early = Word.make(generation, .completedEarly, status)
        let (won, _) = state.pointee.compareExchange(
            expected: early, desired: Word.make(generation, .delivered, status), ordering: .acquiringAndReleasing)
        if won { deliver(status) }
    }

    /// Runs the handler of a completion that won the race to `delivered`.
    @inline(__always)
    private func deliver(_ rc: Int32) {
        let bits = field(CompletionSlotTable.handlerOffset).pointee.load(ordering: .relaxed)
        let context = UnsafeMutableRawPointer(bitPattern: field(CompletionSlotTable.contextOffset).pointee.load(ordering: .relaxed))
        let relinquish = field(CompletionSlotTable.flagsOffset).pointee.load(ordering: .relaxed) & 1 != 0
        if bits != 0 {
            let outer = dmahost_delivering_slot_get()
            dmahost_delivering_slot_set(record)
            unsafeBitCast(bits, to: CompletionHandler.self)(context, rc)
            dmahost_delivering_slot_set(outer)
        }
        if relinquish { CompletionSlotTable.shared.release(record) }
    }

    /// A call whose generation is not the slot's current one: classified by the slot's
    /// previous operation when it is that one, else unknown.
    private func stray(generation: UInt64) {
        let previous = field(CompletionSlotTable.previousOffset).pointee.load(ordering: .relaxed)
        let domain = field(CompletionSlotTable.previousDomainOffset).pointee.load(ordering: .relaxed)
        guard UInt64(previous >> 3) == generation, let phase = CompletionPhase(rawValue: UInt8(previous & 7)) else {
            CompletionFaults.record(.unknown, domain: 0, detail: "operation \(generation) of slot \(index), which has served later operations since")
            return
        }
        switch phase {
        case .refused: CompletionFaults.record(.afterRefusal, domain: domain)
        case .delivered, .completedEarly: CompletionFaults.record(.repeated, domain: domain)
        case .expired: CompletionFaults.record(.late, domain: domain)
        case .idle, .submitting, .inFlight: CompletionFaults.record(.unknown, domain: 0)
        }
    }

    // MARK: Fields

    @inline(__always) private var state: UnsafeMutablePointer<Atomic<UInt64>> {
        (record + CompletionSlotTable.stateOffset).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inline(__always) private func field(_ offset: Int) -> UnsafeMutablePointer<Atomic<UInt>> {
        (record + offset).assumingMemoryBound(to: Atomic<UInt>.self)
    }
    /// Stores `value` in the field at `offset` unless it holds it already (only the owner
    /// writes these fields, so the relaxed load sees its own last store).
    @inline(__always) private func update(_ offset: Int, to value: UInt) {
        let slot = field(offset)
        if slot.pointee.load(ordering: .relaxed) != value { slot.pointee.store(value, ordering: .relaxed) }
    }
    private var domainBits: UInt { field(CompletionSlotTable.domainOffset).pointee.load(ordering: .relaxed) }
    @inline(__always) private var returnMark: UnsafeMutablePointer<Atomic<UInt32>> {
        (record + CompletionSlotTable.returnedOffset).assumingMemoryBound(to: Atomic<UInt32>.self)
    }
}

/// The returned mark (the slot's word at offset 60): which operation returns by its mark
/// rather than by a compare-and-swap, and whether its call returned. The generation is in the
/// low 29 bits; 0 (the initial value) is neither.
private enum Mark {
    /// Operation `generation` was armed to return by its mark; the call has not returned.
    @inline(__always) static func armed(_ generation: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: generation) | 0x4000_0000 }
    /// The submitting call of operation `generation` returned 0.
    @inline(__always) static func returned(_ generation: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: generation) | 0x8000_0000 }
}

/// The slot state word and the argument encoding.
private enum Word {
    static let generationShift: UInt64 = 35
    static let phaseShift: UInt64 = 32
    static let generationMask: UInt64 = (1 << 29) - 1

    @inline(__always) static func make(_ generation: UInt64, _ phase: CompletionPhase, _ rc: Int32) -> UInt64 {
        generation << generationShift | UInt64(phase.rawValue) << phaseShift | UInt64(UInt32(bitPattern: rc))
    }
    @inline(__always) static func generation(_ word: UInt64) -> UInt64 { word >> generationShift }
    @inline(__always) static func phase(_ word: UInt64) -> CompletionPhase {
        CompletionPhase(rawValue: UInt8(truncatingIfNeeded: (word >> phaseShift) & 7)) ?? .idle
    }
    @inline(__always) static func rc(_ word: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: word)) }

    /// `generation << 32 | (index + 1)`: never NULL, never a pointer the domain could use.
    @inline(__always) static func argument(generation: UInt64, index: UInt32) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(generation) << 32 | (UInt(index) + 1))
    }

    /// The generation and index an argument encodes; nil for NULL or a generation too large.
    @inline(__always) static func decode(_ argument: UnsafeMutableRawPointer?) -> (generation: UInt64, index: UInt)? {
        let bits = UInt(bitPattern: argument)
        let low = bits & 0xFFFF_FFFF
        let generation = UInt64(bits >> 32)
        guard low != 0, generation <= generationMask else { return nil }
        return (generation, low - 1)
    }
}
