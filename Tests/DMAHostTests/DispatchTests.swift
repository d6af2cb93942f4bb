import CDMAHostABI
import DMAHost
import Foundation
import Testing

/// Dispatch of the six operations: which domain's callback runs, pass-through of every
/// argument and of the return value, setters (overwrite, NULL clears), -ENOTSUP when
/// unset, and completion left entirely to the callback.
@Suite("Dispatch")
struct DispatchTests {
    /// Two tracked domains (owner, other) and a third, destroyed at the end of the test.
    private final class Trio {
        let owner: CDomain, other: CDomain, third: CDomain
        let counter = CompletionCounter()
        init() throws {
            let id = uniqueID()
            owner = try #require(cCreate(SPDK_DMA_DEVICE_TYPE_RDMA, id: id))
            other = try #require(cCreate(SPDK_DMA_DEVICE_TYPE_DMA, id: id))
            third = try #require(cCreate(SPDK_DMA_DEVICE_TYPE_ACCEL, id: id))
            [owner, other, third].forEach { Recorder.track($0, rc: -EIO) }
        }
        deinit {
            for domain in [owner, other, third] {
                Recorder.untrack(domain)
                spdk_memory_domain_destroy(domain)
            }
        }
        /// Runs `op` for `owner` and returns (rc, variants that ran on owner, calls on other, calls on third).
        func run(_ op: DispatchOperation, owner runOwner: CDomain? = nil, other runOther: CDomain? = nil) -> (Int32, [Recorder.Variant]) {
            let target = runOwner ?? owner
            [owner, other, third].forEach(Recorder.clear)
            let rc = op.invoke(owner: target, other: runOther ?? other, counter: counter)
            return (rc, Recorder.calls(target).map(\.variant))
        }
    }

    @Test("an unset callback is -ENOTSUP (invalidate: nothing runs)", arguments: DispatchOperation.allCases)
    func unset(op: DispatchOperation) throws {
        let trio = try Trio()
        let (rc, ran) = trio.run(op)
        if op.returnsRC { #expect(rc == -ENOTSUP) }
        #expect(ran.isEmpty)
        #expect(trio.counter.count.load(ordering: .sequentiallyConsistent) == 0)
    }

    @Test("only the owning domain's callback runs", arguments: DispatchOperation.allCases)
    func routing(op: DispatchOperation) throws {
        let trio = try Trio()
        // The other domain's callback is never the one used.
        op.set(trio.other, .b)
        var (rc, ran) = trio.run(op)
        if op.returnsRC { #expect(rc == -ENOTSUP) }
        #expect(ran.isEmpty)
        #expect(Recorder.calls(trio.other).isEmpty)

        op.set(trio.owner, .a)
        (rc, ran) = trio.run(op)
        if op.returnsRC { #expect(rc == -EIO) }
        #expect(ran == [.a])
        #expect(Recorder.calls(trio.other).isEmpty)
        // With the roles swapped, the other's own callback runs.
        (rc, ran) = trio.run(op, owner: trio.other, other: trio.owner)
        #expect(ran == [.b])
        #expect(Recorder.calls(trio.owner).isEmpty)
    }

    @Test("setters overwrite, NULL clears, a NULL domain is ignored, each sets only its own kind",
          arguments: DispatchOperation.allCases)
    func setters(op: DispatchOperation) throws {
        let trio = try Trio()
        op.set(trio.owner, .a)
        #expect(trio.run(op).1 == [.a])
        op.set(trio.owner, .b)
        #expect(trio.run(op).1 == [.b])
        op.set(trio.third, .a) // another domain
        #expect(trio.run(op).1 == [.b])
        op.set(nil, .a)
        #expect(trio.run(op).1 == [.b])
        op.set(trio.owner, nil)
        let (rc, ran) = trio.run(op)
        if op.returnsRC { #expect(rc == -ENOTSUP) }
        #expect(ran.isEmpty)
        op.set(trio.owner, .a)
        for other in DispatchOperation.allCases where other != op {
            let (otherRC, otherRan) = trio.run(other)
            if other.returnsRC { #expect(otherRC == -ENOTSUP, "\(other) after setting \(op)") }
            #expect(otherRan.isEmpty, "\(other) after setting \(op)")
        }
    }

    @Test("every argument reaches the callback untouched and its rc comes back unchanged",
          arguments: DispatchOperation.allCases, [0, -EIO, -ENOMEM, -EAGAIN, -ENOTSUP, 1, 7, Int32.max, Int32.min])
    func passThrough(op: DispatchOperation, rc: Int32) throws {
        let trio = try Trio()
        Recorder.configure(trio.owner, rc: rc)
        op.set(trio.owner, .a)
        let (returned, _) = trio.run(op)
        if op.returnsRC { #expect(returned == rc) }
        let calls = Recorder.calls(trio.owner)
        #expect(calls == [op.expectedCall(.a, owner: trio.owner, other: trio.other, counter: trio.counter)])
        #expect(trio.counter.count.load(ordering: .sequentiallyConsistent) == 0, "the library never calls cpl_cb")
    }

    @Test("NULL arguments pass through as NULL", arguments: DispatchOperation.allCases)
    func nullArguments(op: DispatchOperation) throws {
        let trio = try Trio()
        Recorder.configure(trio.owner, rc: 0)
        op.set(trio.owner, .a)
        switch op {
        case .pull: #expect(spdk_memory_domain_pull_data(trio.owner, nil, nil, 0, nil, 0, nil, nil) == 0)
        case .push: #expect(spdk_memory_domain_push_data(trio.owner, nil, nil, 0, nil, 0, nil, nil) == 0)
        case .transfer: #expect(spdk_memory_domain_transfer_data(trio.owner, nil, nil, 0, nil, nil, nil, 0, nil, nil, nil) == 0)
        case .translate: #expect(spdk_memory_domain_translate_data(trio.owner, nil, nil, nil, nil, 0, nil) == 0)
        case .invalidate: spdk_memory_domain_invalidate_data(trio.owner, nil, nil, 0)
        case .memzero: #expect(spdk_memory_domain_memzero(trio.owner, nil, nil, 0, nil, nil) == 0)
        }
        #expect(Recorder.calls(trio.owner) == [Recorder.Call(kind: op.kind, variant: .a, domain: Recorder.address(UnsafeRawPointer(trio.owner)))])
    }

    @Test("an immediate completion reaches the caller exactly once with the callback's rc",
          arguments: [DispatchOperation.pull, .push, .transfer, .memzero], [0, -EIO, -ECANCELED])
    func immediateCompletion(op: DispatchOperation, completionRC: Int32) throws {
        let trio = try Trio()
        Recorder.configure(trio.owner, rc: 0, completion: .immediate(completionRC))
        op.set(trio.owner, .b)
        #expect(trio.run(op) == (0, [.b]))
        #expect(trio.counter.count.load(ordering: .sequentiallyConsistent) == 1)
        #expect(trio.counter.lastRC.load(ordering: .sequentiallyConsistent) == completionRC)
    }

    @Test("a translate callback's result is what the caller sees")
    func translateResult() throws {
        let trio = try Trio()
        Recorder.configure(trio.owner, rc: 0)
        DispatchOperation.translate.set(trio.owner, .b)
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        let address = UnsafeMutableRawPointer(bitPattern: 0x7000_1000)
        #expect(spdk_memory_domain_translate_data(trio.owner, nil, trio.other, nil, address, 512, &result) == 0)
        #expect(result.size == 56)
        #expect(result.iov_count == 1)
        #expect(result.iov.iov_base == address)
        #expect(result.iov.iov_len == 512)
        #expect(result.dst_domain == trio.other)
        #expect(result.rdma.lkey == 0xB000)
        #expect(result.rdma.rkey == 0xB001)
    }
}
