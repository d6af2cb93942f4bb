import CDMAHostThreadState
import CDMASync
import DMAHost
import Foundation
import Synchronization
import Testing

/// The end of a submitting call racing a completion on another thread: whichever comes
/// first, and however close together, the operation's outcome is delivered exactly once,
/// either to the owner (``CompletionSubmission/completed(_:)``) or to the handler.
@Suite("Completion tokens: the submitting call's return racing the completion")
struct CompletionRaceTests {
    /// What the owner and the completing thread share.
    final class Race: @unchecked Sendable {
        // @unchecked Sendable: every field is an Atomic.
        /// The argument the completing thread completes next (0: none).
        let argument = Atomic<UInt>(0)
        /// Spins the completing thread waits before it completes.
        let delay = Atomic<Int>(0)
        /// Completions the completing thread has made (its call returned).
        let completed = Atomic<Int>(0)
        /// Handler calls.
        let handled = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    static let handler: CompletionHandler = { context, rc in
        guard let context, rc == 0 else { return }
        Unmanaged<Race>.fromOpaque(context).takeUnretainedValue().handled.wrappingAdd(1, ordering: .releasing)
    }

    /// `returnsByMark`: each operation is armed as if from its slot's own handler (a
    /// resubmission), so that its call returns by the slot's mark where membarrier(2) exists;
    /// otherwise by compare-and-swap.
    @Test("every operation is delivered once, to the owner or to the handler, whatever the interleaving",
          arguments: [true, false])
    func exactlyOnce(returnsByMark: Bool) throws {
        let domain = try MemoryDomain.create(type: .dma, id: uniqueID())
        defer { domain.destroy() }
        let slot = try #require(CompletionSlot.acquire())
        let race = Race()
        let context = Unmanaged.passUnretained(race).toOpaque()
        let completer = Thread {
            while !race.stop.load(ordering: .acquiring) {
                let bits = race.argument.exchange(0, ordering: .acquiring)
                guard bits != 0 else { continue }
                Self.spin(race.delay.load(ordering: .relaxed))
                CompletionSlot.callback(UnsafeMutableRawPointer(bitPattern: bits), 0)
                race.completed.wrappingAdd(1, ordering: .releasing)
            }
        }
        completer.start()
        defer { race.stop.store(true, ordering: .releasing) }

        let operations = 40_000
        var random = SystemRandomNumberGenerator()
        var toOwner = 0
        var earlyForced = 0
        for index in 0..<operations {
            var argument: UnsafeMutableRawPointer?
            let deadline = Date().addingTimeInterval(10)
            while argument == nil {
                if returnsByMark { dmahost_delivering_slot_set(slot.record) }
                argument = slot.arm(domain: domain.handle, handler: Self.handler, context: context)
                dmahost_delivering_slot_set(nil)
                if argument == nil && Date() > deadline { break }
            }
            let armed = try #require(argument, "the previous operation was delivered")
            race.delay.store(Int.random(in: 0..<16, using: &random), ordering: .relaxed)
            // "The call": from here the completing thread may complete the operation.
            race.argument.store(UInt(bitPattern: armed), ordering: .releasing)
            if index % 8 == 0 {
                // The completion certainly comes before the call returns.
                #expect(Self.waitUntil { race.completed.load(ordering: .acquiring) > index })
                earlyForced += 1
            } else {
                // Up to twice the 32 pauses a completion waits for the mark: the call's return lands
                // before, during and after that wait.
                Self.spin(Int.random(in: 0..<64, using: &random))
            }
            switch slot.submitted(0) {
            case .completed(let rc):
                #expect(rc == 0)
                toOwner += 1
            case .pending:
                break
            case .refused(let rc):
                Issue.record("operation \(index) refused with \(rc)")
            }
            // Wait for the delivery (a lost one fails here; a second one shows in the counts).
            let owned = toOwner
            let delivered = Self.waitUntil { race.handled.load(ordering: .acquiring) + owned > index }
            #expect(delivered, "operation \(index) was never delivered")
            #expect(race.handled.load(ordering: .acquiring) + toOwner == index + 1)
            if !delivered { break }
        }
        #expect(Self.waitUntil { race.completed.load(ordering: .acquiring) >= operations })
        #expect(race.handled.load(ordering: .acquiring) + toOwner == operations)
        #expect(toOwner >= earlyForced, "a completion that came during the call goes to the owner")
        #expect(race.handled.load(ordering: .acquiring) > 0, "some completions came after the call")
        #expect(CompletionFaults.counts(domain: domain).total == 0)
        #expect(slot.relinquish())
    }

    /// Busy-waits until `condition` holds or 10 s passed; returns whether it held.
    static func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            if Date() > deadline { return false }
        }
        return true
    }

    /// Busy-waits `count` CPU pauses.
    static func spin(_ count: Int) {
        for _ in 0..<count { dmasync_cpu_relax() }
    }
}
