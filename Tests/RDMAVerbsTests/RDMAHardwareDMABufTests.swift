import CDMAHostABI
import DMABuf
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// User context of the stand-in dma-buf domain below: where its one buffer is.
struct FakeDMABufContext {
    var fd: Int32
    var provideFD: Int32
    var base: UnsafeMutableRawPointer
    var length: Int
}

/// translate of the stand-in dma-buf domain, as `dmahost/dmabuf.h` specifies it: the CPU
/// mapping in `iov`, and with an extended result the dma-buf fd and offset.
let fakeDMABufTranslate: spdk_memory_domain_translate_memory_cb = { source, _, destination, _, address, length, result in
    var size = 0
    guard let user = spdk_memory_domain_get_user_context(source, &size), let result, let address else { return -EINVAL }
    let context = user.loadUnaligned(as: FakeDMABufContext.self)
    let offset = address - context.base
    guard offset >= 0, offset + length <= context.length else { return -EFAULT }
    result.pointee.iov_count = 1
    result.pointee.iov = iovec(iov_base: address, iov_len: length)
    result.pointee.iovs = nil
    result.pointee.dst_domain = destination
    if context.provideFD != 0, result.pointee.size >= MemoryLayout<dmahost_dmabuf_translation_result>.size {
        let extended = UnsafeMutableRawPointer(result).assumingMemoryBound(to: dmahost_dmabuf_translation_result.self)
        extended.pointee.dmabuf = dmahost_dmabuf_translation(size: MemoryLayout<dmahost_dmabuf_translation>.size, fd: context.fd, reserved: 0,
                                                             offset: UInt64(offset), length: UInt64(length),
                                                             dmabuf_size: UInt64(context.length), addr: address)
    }
    return 0
}

/// A udmabuf of `length` bytes (DMABuf: a sealed memfd turned into a dma-buf) whose CPU mapping
/// is its memfd's: the same pages, but pinnable, as a dma-buf domain maps them.
func makeUDMABuf(length: Int) throws -> DMABuffer {
    let (memfd, file) = try UDMABufDevice().allocate(length: UInt64(length))
    return try DMABuffer(file: file, memfd: memfd)
}

@Suite("RDMAHardware: dma-buf memory (ibv_reg_dmabuf_mr, or the CPU mapping on rxe)",
       .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareDMABufTests {
    @Test("registerDMABuf falls back to the CPU mapping when the provider cannot, and the region moves data")
    func registerWithFallback() async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        let buffer = try makeUDMABuf(length: 256 << 10)
        let registration = try fixture.engine.registerDMABuf(fd: buffer.file.fd, offset: 0, length: buffer.length, cpuMapping: buffer.base)
        switch fixture.engine.dmaBufRegistrationStatus {
        case .supported:
            #expect(registration.viaDMABuf)
        case .fallback(let code, _):
            #expect(!registration.viaDMABuf)
            #expect(code == EOPNOTSUPP || code == ENOTSUP || code == ENOSYS, "errno \(code)")
            let line = try #require(fixture.driver.diagnose().first { $0.subject == "dma-buf MR on \(fixture.engine.profile.name)" })
            print("diagnose: \(line.detail)")
            #expect(line.detail.hasPrefix("dma-buf MR: not supported by \(fixture.engine.profile.name), falling back to registering the CPU mapping"))
        case .untried:
            Issue.record("the attempt was not recorded")
        }
        // RDMA WRITE into the dma-buf through the registration's rkey; read it back through the dma-buf's own mapping.
        var random = SplitMix64(seed: 12)
        let source = HostBuffer(count: buffer.length, invalidatingIn: fixture.engine)
        source.fillRandom(&random)
        let target = KeyedSegment(address: UInt64(UInt(bitPattern: buffer.base)), length: UInt64(buffer.length), key: registration.region.rkey)
        let rc = await withIOV([source.entry()]) { local in
            await fixture.engine.run(.write, remote: .keyed([target]), local: .host(UnsafeBufferPointer(local)))
        }
        #expect(rc == 0)
        let exported = try DMABuf.Mapping(fd: buffer.file.fd, offset: 0, length: buffer.length, what: "the udmabuf's own mapping")
        #expect(memcmp(exported.base, source.base, buffer.length) == 0, "the dma-buf holds what was written")
    }

    @Test("transfer from a dma-buf domain registers its pieces for the operation and moves them byte-exact", arguments: [true, false])
    func transferFromDMABufDomain(provideFD: Bool) async throws {
        let fixture = try RDMAFixture.makePrivate()
        defer { fixture.close() }
        let buffer = try makeUDMABuf(length: 1 << 20)
        var random = SplitMix64(seed: provideFD ? 31 : 32)
        let bytes = UnsafeMutableRawBufferPointer(start: buffer.base, count: buffer.length)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
        var context = FakeDMABufContext(fd: buffer.file.fd, provideFD: provideFD ? 1 : 0, base: buffer.base, length: buffer.length)
        let source = try withUnsafeBytes(of: &context) { try MemoryDomain.create(type: .dma, id: "dmabuf:rdma-test", userContext: $0) }
        defer { source.destroy() }
        spdk_memory_domain_set_translation(UnsafeMutablePointer(source.handle), fakeDMABufTranslate)
        let target = HostBuffer(count: buffer.length, invalidatingIn: fixture.engine)
        let registrations = fixture.engine.registrationStatistics.registrations
        let pieces = [iovec(iov_base: buffer.base, iov_len: 300_000),
                      iovec(iov_base: buffer.base + 300_000, iov_len: buffer.length - 300_000)]
        try await withIOV([target.entry(offset: 0, length: 500_000), target.entry(offset: 500_000, length: buffer.length - 500_000)]) { dst in
            try await withIOV(pieces) { src in try await fixture.domain.transfer(into: dst, from: source, src) }
        }
        #expect(memcmp(target.base, buffer.base, buffer.length) == 0)
        #expect(fixture.engine.registrationStatistics.registrations - registrations <= 2, "only the destination goes through the cache")
        if provideFD { #expect(fixture.engine.dmaBufRegistrationStatus != .untried, "the fd was used for ibv_reg_dmabuf_mr first") }
    }

    @Test("a dma-buf closed and another exported in its place (same fd, often the same address) moves the new bytes",
          arguments: [true, false])
    func replacedDMABuf(provideFD: Bool) async throws {
        let fixture = try RDMAFixture.get()
        let length = 256 << 10
        let target = HostBuffer(count: length, invalidatingIn: fixture.engine)
        var previous: (fd: Int32, address: UnsafeMutableRawPointer)?
        for round in 0..<3 {
            let buffer = try makeUDMABuf(length: length)
            var random = SplitMix64(seed: UInt64(round) + (provideFD ? 100 : 200))
            let bytes = UnsafeMutableRawBufferPointer(start: buffer.base, count: buffer.length)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
            if let previous {
                print("dma-buf round \(round): fd \(buffer.file.fd == previous.fd ? "reused" : "new"), address \(buffer.base == previous.address ? "reused" : "new")")
            }
            previous = (buffer.file.fd, buffer.base)
            var context = FakeDMABufContext(fd: buffer.file.fd, provideFD: provideFD ? 1 : 0, base: buffer.base, length: buffer.length)
            let source = try withUnsafeBytes(of: &context) { try MemoryDomain.create(type: .dma, id: "dmabuf:rdma-replaced", userContext: $0) }
            defer { source.destroy() }
            spdk_memory_domain_set_translation(UnsafeMutablePointer(source.handle), fakeDMABufTranslate)
            try await withIOV([target.entry()]) { dst in
                try await withIOV([iovec(iov_base: buffer.base, iov_len: length)]) { src in
                    try await fixture.domain.transfer(into: dst, from: source, src)
                }
            }
            #expect(memcmp(target.base, buffer.base, length) == 0, "round \(round) moved the bytes of the dma-buf it names")
        }
    }
}
