import CDMAHostABI
@_spi(CABI) import DMAHost
import DriverHost
import Foundation
import SeededRandom
import Synchronization
import Testing

@Suite("CPU plugin: data path through the memory-domain API")
struct CPUDataPathTests {
    @Test("push, pull and transfer with random scatter-gather layouts are byte-exact")
    func randomLayouts() async throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        var generator = SeededGenerator(seed: 7)
        for round in 0..<24 {
            let total = round % 6 == 0 ? Int.random(in: 300_000...600_000, using: &generator) : Int.random(in: 1...20_000, using: &generator)
            let source = Segments(lengths: randomLengths(total: total, parts: Int.random(in: 1...5, using: &generator), using: &generator))
            source.fillRandom(using: &generator)
            let inDevice = Segments(lengths: randomLengths(total: total, parts: Int.random(in: 1...7, using: &generator), using: &generator), fill: 0xEE)
            let back = Segments(lengths: randomLengths(total: total, parts: Int.random(in: 1...4, using: &generator), using: &generator), fill: 0xEE)
            let moved = Segments(lengths: randomLengths(total: total, parts: 3, using: &generator), fill: 0xEE)
            try await domain.push(into: inDevice.iov, from: source.iov)
            try await domain.pull(from: inDevice.iov, into: back.iov)
            try await domain.transfer(into: moved.iov, from: .system, source.iov)
            let expected = source.gathered()
            #expect(inDevice.gathered() == expected, "push, round \(round)")
            #expect(back.gathered() == expected, "pull, round \(round)")
            #expect(moved.gathered() == expected, "transfer, round \(round)")
            for segments in [inDevice, back, moved] { #expect(segments.gaps().allSatisfy { $0 == 0xEE }) }
        }
        host.closeAll()
    }

    @Test("memzero zeroes exactly the listed bytes")
    func memzero() async throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let buffers = Segments(lengths: [1, 0, 4096, 123_457, 64], fill: 0x77)
        try await domain.memzero(buffers.iov)
        #expect(buffers.gathered().allSatisfy { $0 == 0 })
        #expect(buffers.gaps().allSatisfy { $0 == 0x77 })
        host.closeAll()
    }

    @Test("a destination shorter than the source is -EINVAL and never completes (the full table is in the iovec contract tests)")
    func destinationTooSmall() throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let source = Segments(lengths: [100, 100]), destination = Segments(lengths: [150, 49])
        let completions = Completions(1)
        let rc = spdk_memory_domain_push_data_export(domain.handle, nil, destination.iov.baseAddress, 2, source.iov.baseAddress, 2,
                                                     Completions.callback, completions.argument(0))
        #expect(rc == -EINVAL)
        host.closeAll()
        #expect(completions.calls(0) == 0)
    }

    @Test("transfer: from another CPU domain or a given translation works; from an unknown address space it is -ENOTSUP")
    func transferSources() async throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let foreign = try MemoryDomain.create(type: .rdma, id: "test-foreign-rdma")
        defer { foreign.destroy() }
        let source = Segments(lengths: [5000]), destination = Segments(lengths: [2000, 3000])
        var generator = SeededGenerator(seed: 9)
        source.fillRandom(using: &generator)
        // A CPU domain as the source: same address space.
        try await domain.transfer(into: destination.iov, from: domain, source.iov)
        #expect(destination.gathered() == source.gathered())
        // An RDMA domain without a translation: refused.
        await #expect(throws: DMAError.self) { try await domain.transfer(into: destination.iov, from: foreign, source.iov) }
        let completions = Completions(2)
        let refused = spdk_memory_domain_transfer_data_export(domain.handle, nil, destination.iov.baseAddress, 2, foreign.handle, nil,
                                                              source.iov.baseAddress, 1, nil, Completions.callback, completions.argument(0))
        #expect(refused == -ENOTSUP)
        // The same with a translation into virtual addresses: accepted, read through the translation.
        let other = Segments(lengths: [5000])
        other.fillRandom(using: &generator)
        var translation = spdk_memory_domain_translation_result()
        translation.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        translation.iov_count = 1
        translation.iov = other.iov[0]
        let accepted = spdk_memory_domain_transfer_data_export(domain.handle, nil, destination.iov.baseAddress, 2, foreign.handle, nil,
                                                               source.iov.baseAddress, 1, &translation, Completions.callback, completions.argument(1))
        #expect(accepted == 0)
        #expect(completions.wait(for: 1))
        #expect(completions.calls(1) == 1 && completions.status(1) == 0)
        #expect(destination.gathered() == other.gathered())
        // A translation that holds fewer bytes than src_iov describes would truncate: refused.
        translation.iov.iov_len = 4999
        let short = spdk_memory_domain_transfer_data_export(domain.handle, nil, destination.iov.baseAddress, 2, foreign.handle, nil,
                                                            source.iov.baseAddress, 1, &translation, Completions.callback, completions.argument(0))
        #expect(short == -EINVAL)
        host.closeAll()
        #expect(completions.calls(0) == 0)
    }

    @Test("8 concurrent submitters through the domain: every completion exactly once")
    func concurrentSubmitters() throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let perThread = 300, threads = 8, size = 512
        let completions = Completions(perThread * threads)
        let source = Segments(lengths: [size], gap: 0)
        var generator = SeededGenerator(seed: 11)
        source.fillRandom(using: &generator)
        let destinations = (0..<completions.count).map { _ in Segments(lengths: [200, size - 200], gap: 0) }
        let refused = Atomic<Int>(0)
        let handle = UInt(bitPattern: domain.handle)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let domain = OpaquePointer(bitPattern: handle)
            for local in 0..<perThread {
                let op = thread * perThread + local
                while true {
                    let rc = spdk_memory_domain_push_data_export(domain, nil, destinations[op].iov.baseAddress, 2, source.iov.baseAddress, 1,
                                                                 Completions.callback, completions.argument(op))
                    if rc == 0 { break }
                    precondition(rc == -EAGAIN, "unexpected rc \(rc)")
                    refused.wrappingAdd(1, ordering: .relaxed)
                    sched_yield()
                }
            }
        }
        #expect(completions.wait(for: completions.count))
        host.closeAll()
        var wrong = 0
        for op in 0..<completions.count where completions.calls(op) != 1 || completions.status(op) != 0 { wrong += 1 }
        #expect(wrong == 0)
        #expect(destinations.allSatisfy { $0.gathered() == source.gathered() })
    }

    @Test("closing the device drains: every accepted operation has completed when close returns")
    func closeDrains() throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let completions = Completions(64)
        let source = Segments(lengths: [1 << 20], gap: 0), destination = Segments(lengths: [1 << 20], gap: 0)
        var accepted = 0
        for op in 0..<64 {
            let rc = spdk_memory_domain_push_data_export(domain.handle, nil, destination.iov.baseAddress, 1, source.iov.baseAddress, 1,
                                                         Completions.callback, completions.argument(op))
            if rc == 0 { accepted += 1 } else { #expect(rc == -EAGAIN) }
        }
        try host.close(deviceID: "cpu:0")
        #expect(completions.completed == accepted)
        for op in 0..<accepted { #expect(completions.calls(op) == 1 && completions.status(op) == 0) }
    }
}

@Suite("CPU plugin: identity translation")
struct CPUTranslationTests {
    @Test("cpu → system is the identity: one entry {addr, len}, no array, the destination, zero keys")
    func identity() throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let buffer = Segments(lengths: [4096])
        let address = try #require(buffer.iov[0].iov_base)
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        result.iov_count = 99
        result.iovs = UnsafeMutablePointer(bitPattern: 0x10)
        result.rdma.lkey = 5
        result.rdma.rkey = 6
        let rc = spdk_memory_domain_translate_data_export(domain.handle, nil, MemoryDomain.system.handle, nil, address + 10, 100, &result)
        #expect(rc == 0)
        #expect(result.iov_count == 1)
        #expect(result.iov.iov_base == address + 10 && result.iov.iov_len == 100)
        #expect(result.iovs == nil)
        #expect(result.dst_domain.map { OpaquePointer($0) } == MemoryDomain.system.handle)
        #expect(result.rdma.lkey == 0 && result.rdma.rkey == 0)
        // To itself (another CPU domain) as well.
        let toSelf = try domain.translate(address, length: 1, to: domain)
        #expect(toSelf.iov_count == 1 && toSelf.iov.iov_base == address)
        host.closeAll()
    }

    @Test("a result whose size is too small is -EINVAL; an RDMA destination is -ENOTSUP")
    func refusals() throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let buffer = Segments(lengths: [64])
        let address = try #require(buffer.iov[0].iov_base)
        var small = spdk_memory_domain_translation_result()
        small.size = MemoryLayout<spdk_memory_domain_translation_result>.size - 1
        #expect(spdk_memory_domain_translate_data_export(domain.handle, nil, MemoryDomain.system.handle, nil, address, 64, &small) == -EINVAL)
        #expect(small.iov_count == 0)
        let rdma = try MemoryDomain.create(type: .rdma, id: "test-rdma-destination")
        defer { rdma.destroy() }
        #expect(throws: DMAError.self) { try domain.translate(address, length: 64, to: rdma) }
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        #expect(spdk_memory_domain_translate_data_export(domain.handle, nil, rdma.handle, nil, address, 64, &result) == -ENOTSUP)
        host.closeAll()
    }
}
