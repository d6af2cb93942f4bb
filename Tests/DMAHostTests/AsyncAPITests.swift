import CDMAHostABI
import DMAHost
import Foundation
import Testing

/// The Swift API's async operations: arguments reach the domain's callback, immediate and
/// deferred completions resume the caller exactly once, and failures (synchronous or at
/// completion) throw the DMAError whose errno is the one the domain reported.
@Suite("Swift async API")
struct AsyncAPITests {
    /// A Swift-created domain with all six recording callbacks (variant A), destroyed on deinit.
    final class Fixture: @unchecked Sendable {
        // @unchecked Sendable: immutable after init; the recorder it feeds is locked.
        let domain: MemoryDomain
        let io = IOBuffers(segments: 2)
        let io2 = IOBuffers(segments: 3)
        init(rc: Int32 = 0, completion: Recorder.Completion = .immediate(0)) throws {
            domain = try MemoryDomain.create(type: .rdma, id: uniqueID())
            Recorder.track(domain.c, rc: rc, completion: completion)
            Recorder.setAll(domain.c, .a)
        }
        deinit {
            Recorder.untrack(domain.c)
            domain.destroy()
        }
    }

    /// The four completion-based operations, run through the Swift API on `fixture.domain`.
    enum AsyncOperation: CaseIterable, Sendable, CustomTestStringConvertible {
        case pull, push, transfer, memzero
        var testDescription: String { "\(self)" }

        func run(_ f: Fixture, context: UnsafeMutableRawPointer? = nil) async throws(DMAError) {
            switch self {
            case .pull: try await f.domain.pull(from: f.io.buffer, into: f.io2.buffer, context: context)
            case .push: try await f.domain.push(into: f.io.buffer, from: f.io2.buffer, context: context)
            case .transfer: try await f.domain.transfer(into: f.io.buffer, from: MemoryDomain.system, f.io2.buffer, destinationContext: context)
            case .memzero: try await f.domain.memzero(f.io.buffer, context: context)
            }
        }
    }

    /// Runs `operation` and returns the error it threw, or nil.
    private static func outcome(_ operation: AsyncOperation, _ fixture: Fixture) async -> DMAError? {
        do throws(DMAError) {
            try await operation.run(fixture)
            return nil
        } catch {
            return error
        }
    }

    @Test("arguments reach the callback and an immediate completion returns", arguments: AsyncOperation.allCases)
    func success(op: AsyncOperation) async throws {
        let f = try Fixture()
        try await op.run(f, context: tag(9))
        let calls = Recorder.calls(f.domain.c)
        try #require(calls.count == 1)
        let call = calls[0]
        #expect(call.domain == Recorder.address(UnsafeRawPointer(f.domain.c)))
        #expect(call.domainCtx == Recorder.address(tag(9)))
        #expect(call.iov == Recorder.address(UnsafeRawPointer(f.io.iovs.baseAddress)))
        #expect(call.iovcnt == 2)
        if op != .memzero {
            #expect(call.iov2 == Recorder.address(UnsafeRawPointer(f.io2.iovs.baseAddress)))
            #expect(call.iovcnt2 == 3)
        }
        if op == .transfer { #expect(call.otherDomain == Recorder.address(UnsafeRawPointer(MemoryDomain.system.c))) }
        #expect(call.cplCb != 0 && call.cplArg != 0)
    }

    /// Negative errnos a domain may report, with the DMAError case each must become.
    static let errnoCases: [(Int32, String)] = [
        (EINVAL, "invalidArgument"), (ENOMEM, "outOfMemory"), (ENOTSUP, "notSupported"), (EAGAIN, "tryAgain"),
        (ENODEV, "noDevice"), (EIO, "ioError"), (ECANCELED, "cancelled"), (EPERM, "system"), (EFAULT, "system"),
    ]

    @Test("a synchronous failure throws the mapped DMAError and never waits", arguments: AsyncOperation.allCases, errnoCases)
    func synchronousFailure(op: AsyncOperation, mapping: (Int32, String)) async throws {
        let f = try Fixture(rc: -mapping.0, completion: .none)
        let error = try #require(await Self.outcome(op, f))
        #expect(error.errno == mapping.0)
        #expect(error.negativeErrno == -mapping.0)
        #expect(DMAErrorTests.caseName(error) == mapping.1)
        #expect(!error.message.isEmpty)
        #expect(Recorder.calls(f.domain.c).count == 1)
    }

    @Test("a positive rc from the callback is not an errno: an EIO error quoting the value", arguments: AsyncOperation.allCases)
    func positiveReturn(op: AsyncOperation) async throws {
        let f = try Fixture(rc: E2BIG, completion: .none)
        let error = try #require(await Self.outcome(op, f))
        #expect(error.errno == EIO)
        #expect(error == .ioError(error.message))
        #expect(error.message.contains("returned status \(E2BIG)"))
    }

    @Test("a failed completion throws the mapped DMAError", arguments: AsyncOperation.allCases, errnoCases)
    func completionFailure(op: AsyncOperation, mapping: (Int32, String)) async throws {
        let f = try Fixture(rc: 0, completion: .immediate(-mapping.0))
        let error = try #require(await Self.outcome(op, f))
        #expect(error.errno == mapping.0)
        #expect(DMAErrorTests.caseName(error) == mapping.1)
    }

    @Test("no callback set throws notSupported", arguments: AsyncOperation.allCases)
    func unsetCallback(op: AsyncOperation) async throws {
        let f = try Fixture()
        Recorder.setAll(f.domain.c, .a)
        f.domain.setPull(nil)
        f.domain.setPush(nil)
        f.domain.setTransfer(nil)
        f.domain.setMemzero(nil)
        let error = try #require(await Self.outcome(op, f))
        #expect(error.errno == ENOTSUP)
        #expect(Recorder.calls(f.domain.c).isEmpty)
    }

    @Test("a completion from another thread, later, resumes the caller once", arguments: AsyncOperation.allCases, [0, -EIO])
    func deferredCompletion(op: AsyncOperation, rc: Int32) async throws {
        let f = try Fixture(rc: 0, completion: .deferred)
        async let result = Self.outcome(op, f)
        var pending: [Recorder.Pending] = []
        for _ in 0..<10_000 where pending.isEmpty {
            pending = Recorder.takePending(f.domain.c)
            if pending.isEmpty { try await Task.sleep(nanoseconds: 1_000_000) }
        }
        try #require(pending.count == 1, "the operation never reached the callback")
        let completion = pending[0]
        let thread = Thread { completion.complete(rc) }
        thread.start()
        let error = await result
        #expect(error?.errno == (rc == 0 ? nil : EIO))
        #expect(Recorder.takePending(f.domain.c).isEmpty)
    }

    @Test("many operations in flight at once each complete exactly once")
    func manyInFlight() async throws {
        let f = try Fixture(rc: 0, completion: .deferred)
        let count = 64
        try await withThrowingTaskGroup(of: Int32?.self) { group in
            for _ in 0..<count {
                group.addTask { await Self.outcome(.pull, f)?.errno }
            }
            // Complete them from several threads, alternating success and EIO.
            var completed = 0
            while completed < count {
                let pending = Recorder.takePending(f.domain.c)
                if pending.isEmpty { try await Task.sleep(nanoseconds: 1_000_000); continue }
                let base = completed
                onThreads(min(4, pending.count)) { t in
                    for (i, p) in pending.enumerated() where i % min(4, pending.count) == t {
                        p.complete((base + i) % 2 == 0 ? 0 : -EIO)
                    }
                }
                completed += pending.count
            }
            var failures = 0, successes = 0
            for try await errno in group {
                if errno == nil { successes += 1 } else { #expect(errno == EIO); failures += 1 }
            }
            // Every task returned exactly once, with the outcome its completion carried.
            #expect(successes == count / 2)
            #expect(failures == count / 2)
        }
        #expect(Recorder.calls(f.domain.c).count == count)
    }

    @Test("translate returns the callback's result, and its errors map to DMAError")
    func translate() throws {
        let f = try Fixture()
        let destination = try MemoryDomain.create(type: .dma, id: uniqueID())
        defer { destination.destroy() }
        let address = UnsafeMutableRawPointer(bitPattern: 0x7000_2000)!
        let result = try f.domain.translate(address, length: 300, to: destination, context: tag(3))
        #expect(result.size == MemoryLayout<spdk_memory_domain_translation_result>.size)
        #expect(result.iov_count == 1)
        #expect(result.iov.iov_base == address)
        #expect(result.iov.iov_len == 300)
        #expect(result.dst_domain == destination.c)
        #expect(result.rdma.lkey == 0xA000)
        let call = try #require(Recorder.calls(f.domain.c).first)
        #expect(call.domainCtx == Recorder.address(tag(3)))
        #expect(call.otherDomain == Recorder.address(UnsafeRawPointer(destination.c)))

        Recorder.configure(f.domain.c, rc: -ENODEV)
        #expect(throws: DMAError.self) { try f.domain.translate(address, length: 1, to: destination) }
        do throws(DMAError) {
            _ = try f.domain.translate(address, length: 1, to: destination)
        } catch {
            #expect(error.errno == ENODEV)
        }
        for malformed in [Int32.min, 5] {
            Recorder.configure(f.domain.c, rc: malformed)
            do throws(DMAError) {
                _ = try f.domain.translate(address, length: 1, to: destination)
                Issue.record("translate returning \(malformed) succeeded")
            } catch {
                #expect(error.errno == EIO)
                #expect(error.message.contains("status \(malformed)"))
            }
        }
        f.domain.setTranslate(nil)
        do throws(DMAError) {
            _ = try f.domain.translate(address, length: 1, to: destination)
            Issue.record("translate without a callback succeeded")
        } catch {
            #expect(error.errno == ENOTSUP)
        }
    }

    @Test("invalidate passes the buffers and context to the callback")
    func invalidate() throws {
        let f = try Fixture()
        try f.domain.invalidate(f.io2.buffer, context: tag(4))
        let call = try #require(Recorder.calls(f.domain.c).first)
        #expect(call.kind == .invalidate)
        #expect(call.iov == Recorder.address(UnsafeRawPointer(f.io2.iovs.baseAddress)))
        #expect(call.iovcnt == 3)
        #expect(call.domainCtx == Recorder.address(tag(4)))
        f.domain.setInvalidate(nil)
        try f.domain.invalidate(f.io2.buffer)
        #expect(Recorder.calls(f.domain.c).count == 1)
    }
}
