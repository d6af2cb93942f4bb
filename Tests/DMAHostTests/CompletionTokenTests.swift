import CDMAHostABI
import DMAHost
import DMASync
import Foundation
import Testing

/// Completion tokens (``CompletionSlot``): whatever a domain does with the completion of an
/// operation the Swift API waits for, the caller resumes exactly once and the fault is counted
/// against the domain.
@Suite("Completion tokens")
struct CompletionTokenTests {
    /// A Swift-created domain with the recording callbacks, destroyed on deinit.
    final class Domain: @unchecked Sendable {
        // @unchecked Sendable: immutable after init; the recorder it feeds is locked.
        let domain: MemoryDomain
        let io = IOBuffers(segments: 1)
        let io2 = IOBuffers(segments: 1)
        init(rc: Int32, completion: Recorder.Completion) throws {
            domain = try MemoryDomain.create(type: .dma, id: uniqueID())
            Recorder.track(domain.c, rc: rc, completion: completion)
            Recorder.setAll(domain.c, .a)
        }
        deinit {
            Recorder.untrack(domain.c)
            domain.destroy()
        }

        var faults: CompletionFaultCounts { CompletionFaults.counts(domain: domain) }

        /// Pushes through the Swift API; returns the error, or nil.
        func push(timeout: Duration? = nil) async -> DMAError? {
            do throws(DMAError) {
                try await domain.push(into: io.buffer, from: io2.buffer, timeout: timeout)
                return nil
            } catch {
                return error
            }
        }

        /// Waits (up to 10 s) for the one completion a deferred callback kept.
        func pending() async throws -> Recorder.Pending {
            for _ in 0..<10_000 {
                if let first = Recorder.takePending(domain.c).first { return first }
                try await Task.sleep(nanoseconds: 1_000_000)
            }
            throw CancellationError()
        }
    }

    @Test("a completion called twice during the call: one result, one fault counted")
    func twiceDuringCall() async throws {
        let d = try Domain(rc: 0, completion: .twice(0))
        #expect(await d.push() == nil)
        #expect(d.faults[.repeated] == 1)
        #expect(d.faults.total == 1)
    }

    @Test("a completion called twice later, from other threads: one result, the second call counted")
    func twiceLater() async throws {
        let d = try Domain(rc: 0, completion: .deferred)
        async let result = d.push()
        let completion = try await d.pending()
        let first = Thread { completion.complete(-EIO) }
        first.start()
        #expect(await result?.errno == EIO)
        completion.complete(0)
        #expect(d.faults[.repeated] == 1)
    }

    @Test("a completion called and then an error returned: the error is thrown, the completion counted")
    func completedThenRefused() async throws {
        let d = try Domain(rc: -ENOMEM, completion: .immediate(0))
        #expect(await d.push()?.errno == ENOMEM)
        #expect(d.faults[.afterRefusal] == 1)
    }

    @Test("a completion after the call returned an error is counted and delivered nowhere")
    func completionAfterRefusal() async throws {
        let d = try Domain(rc: -EBUSY, completion: .deferred)
        #expect(await d.push()?.errno == EBUSY)
        let completion = try await d.pending()
        completion.complete(0)
        completion.complete(0)
        #expect(d.faults[.afterRefusal] == 2)
    }

    @Test("a completion that never comes: the timeout throws ETIMEDOUT naming the operation; a late completion is counted")
    func neverCompletes() async throws {
        let d = try Domain(rc: 0, completion: .deferred)
        let error = try #require(await d.push(timeout: .milliseconds(50)))
        #expect(error.errno == ETIMEDOUT)
        #expect(error.message.contains("push into"))
        #expect(error.message.contains("(64 bytes)"))
        #expect(error.message.contains("did not complete within"))
        let late = try await d.pending()
        late.complete(0)
        #expect(d.faults[.late] == 1)
        #expect(d.faults[.repeated] == 0)
    }

    @Test("a completion within the timeout returns normally and leaves no fault")
    func completesInTime() async throws {
        let d = try Domain(rc: 0, completion: .deferred)
        async let result = d.push(timeout: .seconds(30))
        let completion = try await d.pending()
        completion.complete(0)
        #expect(await result == nil)
        #expect(d.faults.total == 0)
    }

    @Test("INT32_MIN and positive statuses become EIO, never a trap", arguments: [Int32.min, 1, 4096, Int32.max, -4096])
    func malformedStatuses(value: Int32) async throws {
        let refused = try Domain(rc: value, completion: .none)
        let error = try #require(await refused.push())
        #expect(error.errno == EIO)
        #expect(error.message.contains("status \(value)"))
        #expect(refused.faults[.malformedStatus] == 1)

        let completed = try Domain(rc: 0, completion: .immediate(value))
        #expect(await completed.push()?.errno == EIO, "a completion's malformed status is an EIO error (its value is in the log line)")
        #expect(completed.faults[.malformedStatus] == 1)
    }

    @Test("a completion with an argument the host never issued is counted, not followed")
    func unknownArgument() {
        let before = CompletionFaults.total[.unknown]
        for bits: UInt in [0, 0x10, 0xdead_beef, UInt(bitPattern: -1), 0x7fff_0000_0000_0001] {
            CompletionSlot.callback(UnsafeMutableRawPointer(bitPattern: bits), 0)
        }
        #expect(CompletionFaults.total[.unknown] - before >= 5)
    }

    @Test("slot state machine: arm, submit, complete, expire; late and repeated calls counted")
    func stateMachine() throws {
        let domain = try MemoryDomain.create(type: .dma, id: uniqueID())
        defer { domain.destroy() }
        let slot = try #require(CompletionSlot.acquire())
        #expect([.idle, .refused, .delivered].contains(slot.phase), "a slot from the pool has no pending operation")

        // Completion during the call: delivered to the owner, not to the handler.
        let first = try #require(slot.arm(domain: domain.handle, handler: countingHandler, context: nil))
        #expect(slot.arm(domain: domain.handle, handler: countingHandler, context: nil) == nil, "a busy slot cannot be re-armed")
        CompletionSlot.callback(first, -EIO)
        #expect(slot.phase == .completedEarly)
        #expect(slot.submitted(0) == .completed(-EIO))
        #expect(slot.phase == .delivered)

        // Completion after the call: the handler runs once; the argument of the previous
        // operation is recognised as a repeated call.
        let second = try #require(slot.arm(domain: domain.handle, handler: countingHandler, context: nil))
        #expect(second != first)
        #expect(slot.submitted(0) == .pending)
        let handled = HandlerCount.value
        CompletionSlot.callback(second, 0)
        CompletionSlot.callback(second, 0)
        CompletionSlot.callback(first, 0)
        #expect(HandlerCount.value == handled + 1)
        #expect(CompletionFaults.counts(domain: domain)[.repeated] == 2)

        // Refusal; then expiry of a pending operation, which keeps the slot out of use.
        _ = try #require(slot.arm(domain: domain.handle, handler: countingHandler, context: nil))
        #expect(slot.submitted(-EAGAIN) == .refused(-EAGAIN))
        let fourth = try #require(slot.arm(domain: domain.handle, handler: countingHandler, context: nil))
        #expect(slot.submitted(0) == .pending)
        #expect(slot.expire(fourth))
        #expect(!slot.expire(fourth))
        #expect(slot.phase == .expired)
        #expect(!slot.relinquish(), "an expired slot is never reused")
        CompletionSlot.callback(fourth, 0)
        #expect(HandlerCount.value == handled + 1)
        #expect(CompletionFaults.counts(domain: domain)[.late] == 1)
    }
}

/// Counts calls of ``countingHandler``.
enum HandlerCount {
    private static let count = Locked(0)
    static var value: Int { count.withLock { $0 } }
    static func increment() { count.withLock { $0 += 1 } }
}

/// A slot handler that counts its calls.
let countingHandler: CompletionHandler = { _, _ in HandlerCount.increment() }
