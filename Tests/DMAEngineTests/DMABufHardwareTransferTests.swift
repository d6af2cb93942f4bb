import DMASync
import CDMAHostABI
import DMABuf
import DMADriverKit
import DMAHost
import Synchronization
import DMABuf
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A test domain whose pull copies from plain memory inline: stands for "any other domain" in
/// the delegated transfer path (the dma-buf domain asks it to pull into the dma-buf's mapping).
enum ForeignDomain {
    static let pulls = Atomic<Int>(0)
    static let pull: spdk_memory_domain_pull_data_cb = { _, _, srcIov, srcCount, dstIov, dstCount, cpl, arg in
        guard let srcIov, let dstIov, let cpl else { return -EINVAL }
        var source: [(UInt, Int)] = (0..<Int(srcCount)).map { (UInt(bitPattern: srcIov[$0].iov_base), srcIov[$0].iov_len) }
        var dIndex = 0, dOffset = 0
        while !source.isEmpty && dIndex < Int(dstCount) {
            let count = min(source[0].1, dstIov[dIndex].iov_len - dOffset)
            guard let to = dstIov[dIndex].iov_base, let from = UnsafeRawPointer(bitPattern: source[0].0) else { return -EINVAL }
            memcpy(to + dOffset, from, count)
            source[0].0 += UInt(count); source[0].1 -= count; dOffset += count
            if source[0].1 == 0 { source.removeFirst() }
            if dOffset == dstIov[dIndex].iov_len { dIndex += 1; dOffset = 0 }
        }
        pulls.wrappingAdd(1, ordering: .relaxed)
        cpl(arg, 0)
        return 0
    }
}

/// Per-operation completion counts for the exactly-once test (arg = operation index + 1).
enum CompletionTally {
    static let counts = Locked<[Int: (calls: Int, rc: Int32)]>([:])
    static let callback: spdk_memory_domain_data_cpl_cb = { arg, rc in
        let index = Int(bitPattern: arg) - 1
        counts.withLock { table in
            let old = table[index] ?? (0, 0)
            table[index] = (old.calls + 1, rc)
        }
    }
}

/// transfer into dma-buf domains from every kind of source, and many operations in flight.
/// Needs /dev/udmabuf and the system dma-buf heap (the test guest).
@Suite(.enabled(if: Hardware.udmabuf && Hardware.systemHeap && Hardware.root,
                "needs /dev/udmabuf and /dev/dma_heap/system, and root: run Tests/VM/dmabuf-tests.sh"))
struct DMABufHardwareTransferTests {
    @Test func transferFromSystemFromAnotherDMABufDomainAndFromAForeignDomain() async throws {
        let udmabuf = try OpenedDomain.udmabuf()
        defer { udmabuf.close() }
        let heap = try OpenedDomain.systemHeap()
        defer { heap.close() }
        var generator = SystemRandomNumberGenerator()
        let length = 50_000
        let source = LocalMemory(length)
        source.randomize()
        let a = try udmabuf.interface.allocate(length: length)
        let b = try heap.interface.allocate(length: length)

        // system → udmabuf (the destination's transfer, source = system domain)
        try await udmabuf.domain.transfer(into: randomPieces(a.address, length, using: &generator), from: MemoryDomain.system,
                                          randomPieces(source.base, length, using: &generator))
        // udmabuf → heap (both dma-buf domains: copied through both mappings, both synced)
        try await heap.domain.transfer(into: randomPieces(b.address, length, using: &generator), from: udmabuf.domain,
                                       randomPieces(a.address, length, using: &generator))
        let back = LocalMemory(length, fill: 0)
        try await heap.domain.pull(from: [(b.address, length)], into: [(back.base, length)])
        #expect(Array(back.bytes) == Array(source.bytes))

        // foreign domain → udmabuf: delegated to the foreign domain's pull into the mapping
        let foreign = try MemoryDomain.create(type: .accel, id: "test:foreign")
        defer { foreign.destroy() }
        foreign.setPull(ForeignDomain.pull)
        let before = ForeignDomain.pulls.load(ordering: .relaxed)
        let other = LocalMemory(length)
        other.randomize()
        try await udmabuf.domain.transfer(into: [(a.address, length)], from: foreign, randomPieces(other.base, length, using: &generator))
        #expect(ForeignDomain.pulls.load(ordering: .relaxed) == before + 1)
        let again = LocalMemory(length, fill: 0)
        try await udmabuf.domain.pull(from: [(a.address, length)], into: [(again.base, length)])
        #expect(Array(again.bytes) == Array(other.bytes))

        // a source without pull: the transfer says so
        let mute = try MemoryDomain.create(type: .accel, id: "test:mute")
        defer { mute.destroy() }
        do throws(DMAError) {
            try await udmabuf.domain.transfer(into: [(a.address, 16)], from: mute, [(other.base, 16)])
            Issue.record("a transfer from a domain without pull succeeded")
        } catch {
            #expect(error.errno == ENOTSUP)
        }
    }

    /// 3000 pushes through the C API, with back-pressure (-EAGAIN beyond the in-flight bound):
    /// every accepted operation completes exactly once with 0, and the data is all there.
    @Test func manyOperationsCompleteExactlyOnce() async throws {
        let opened = try OpenedDomain.udmabuf()
        defer { opened.close() }
        let operations = 3000, chunk = 256
        let buffer = try opened.interface.allocate(length: operations * chunk)
        let source = LocalMemory(operations * chunk)
        source.randomize()
        let iovs = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 2 * operations)
        defer { iovs.deallocate() }
        var retries = 0
        for index in 0..<operations {
            iovs[2 * index] = iovec(iov_base: buffer.address + index * chunk, iov_len: chunk)
            iovs[2 * index + 1] = iovec(iov_base: source.base + index * chunk, iov_len: chunk)
            while true {
                let rc = spdk_memory_domain_push_data(UnsafeMutablePointer(opened.domain.handle), nil, iovs.baseAddress! + 2 * index, 1,
                                                      iovs.baseAddress! + 2 * index + 1, 1, CompletionTally.callback,
                                                      UnsafeMutableRawPointer(bitPattern: index + 1))
                if rc == 0 { break }
                #expect(rc == -EAGAIN)
                retries += 1
                usleep(100)
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while CompletionTally.counts.withLock({ $0.count }) < operations && clock.now < deadline { usleep(1000) }
        let tally = CompletionTally.counts.withLock { $0 }
        #expect(tally.count == operations)
        #expect(tally.values.allSatisfy { $0.calls == 1 && $0.rc == 0 })
        let back = LocalMemory(operations * chunk, fill: 0)
        try await opened.domain.pull(from: [(buffer.address, operations * chunk)], into: [(back.base, operations * chunk)])
        #expect(Array(back.bytes) == Array(source.bytes))
        print("manyOperationsCompleteExactlyOnce: \(operations) operations, \(retries) -EAGAIN retries")
    }
}
