import CDMAHostABI
import DMAHost
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Copies the bytes of `source` into `destination`, entry by entry in order, after the
/// contract's check; what a copying domain's callbacks do, completing during the call.
private func copyLists(_ source: UnsafePointer<iovec>?, _ sourceCount: UInt32, _ destination: UnsafePointer<iovec>?,
                       _ destinationCount: UInt32, _ done: spdk_memory_domain_data_cpl_cb?, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    let checked: CheckedCopy
    do throws(IOVecError) {
        checked = try IOVecContract.checkCopy(completion: done, source: source, sourceCount: sourceCount,
                                              destination: destination, destinationCount: destinationCount)
    } catch {
        return error.negativeErrno
    }
    var bytes: [UInt8] = []
    for index in 0..<Int(sourceCount) where checked.source[index].iov_len > 0 {
        let entry = checked.source[index]
        bytes += UnsafeRawBufferPointer(start: entry.iov_base, count: entry.iov_len)
    }
    var offset = 0
    for index in 0..<Int(destinationCount) where checked.destination[index].iov_len > 0 {
        let entry = checked.destination[index]
        bytes[offset..<offset + entry.iov_len].withUnsafeBytes { entry.iov_base?.copyMemory(from: $0.baseAddress!, byteCount: entry.iov_len) }
        offset += entry.iov_len
    }
    checked.completion(argument, 0)
    return 0
}

/// A domain whose pull, push, transfer and memzero move the bytes (host memory on both sides),
/// completing during the call; destroyed on deinit.
private final class CopyingDomain {
    let domain: MemoryDomain

    init() throws {
        domain = try MemoryDomain.create(type: .dma, id: uniqueID())
        domain.setPull { _, _, source, sourceCount, destination, destinationCount, done, argument in
            copyLists(source, sourceCount, destination, destinationCount, done, argument)
        }
        domain.setPush { _, _, destination, destinationCount, source, sourceCount, done, argument in
            copyLists(source, sourceCount, destination, destinationCount, done, argument)
        }
        domain.setTransfer { _, _, destination, destinationCount, _, _, source, sourceCount, _, done, argument in
            copyLists(source, sourceCount, destination, destinationCount, done, argument)
        }
        domain.setMemzero { _, _, list, count, done, argument in
            do throws(IOVecError) {
                let checked = try IOVecContract.checkMemzero(completion: done, buffers: list, count: count)
                for index in 0..<Int(count) { memset(checked.buffers[index].iov_base, 0, checked.buffers[index].iov_len) }
                checked.completion(argument, 0)
                return 0
            } catch {
                return error.negativeErrno
            }
        }
    }

    deinit { domain.destroy() }
}

/// Raw memory for a test, freed on deinit.
private final class Bytes {
    let buffer: UnsafeMutableRawBufferPointer
    init(_ count: Int, fill: UInt8) {
        buffer = .allocate(byteCount: count, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: fill)
    }
    deinit { buffer.deallocate() }
    var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(buffer) }
    func slice(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: buffer[range]) }
    var array: [UInt8] { Array(buffer) }
}

/// The error an operation threw, or nil.
private func thrown(_ operation: () async throws(DMAError) -> Void) async -> DMAError? {
    do throws(DMAError) {
        try await operation()
        return nil
    } catch {
        return error
    }
}

@Suite("Swift API on raw byte buffers")
struct RawBufferAPITests {
    @Test("pull and push of one buffer each move the bytes")
    func singleBuffers() async throws {
        let fixture = try CopyingDomain()
        let source = Bytes(4096, fill: 0xA5), destination = Bytes(4096, fill: 0)
        try await fixture.domain.pull(from: source.readable, into: destination.buffer)
        #expect(destination.array.allSatisfy { $0 == 0xA5 })
        let back = Bytes(4096, fill: 0x3C)
        try await fixture.domain.push(into: destination.buffer, from: back.readable)
        #expect(destination.array.allSatisfy { $0 == 0x3C })
    }

    @Test("lists of buffers are gathered and scattered in order (push, pull, transfer)")
    func scatterGather() async throws {
        let fixture = try CopyingDomain()
        let source = Bytes(300, fill: 0)
        for index in 0..<300 { source.buffer[index] = UInt8(index % 251) }
        let sources = [0..<100, 100..<250, 250..<300].map { UnsafeRawBufferPointer(source.slice($0)) }
        let target = Bytes(300, fill: 0)
        let targets = [0..<7, 7..<300].map(target.slice)
        try await fixture.domain.push(into: targets, from: sources)
        #expect(target.array == source.array)
        let pulled = Bytes(300, fill: 0)
        try await fixture.domain.pull(from: sources, into: [pulled.slice(0..<150), pulled.slice(150..<300)])
        #expect(pulled.array == source.array)
        let moved = Bytes(300, fill: 0)
        try await fixture.domain.transfer(into: [moved.buffer], from: .system, sources)
        #expect(moved.array == source.array)
        try await fixture.domain.transfer(into: moved.buffer, from: .system, target.readable)
        #expect(moved.array == source.array)
    }

    @Test("memzero of one buffer and of a list")
    func memzero() async throws {
        let fixture = try CopyingDomain()
        let bytes = Bytes(512, fill: 0xFF)
        try await fixture.domain.memzero(bytes.slice(0..<256))
        #expect(bytes.array[..<256].allSatisfy { $0 == 0 } && bytes.array[256...].allSatisfy { $0 == 0xFF })
        try await fixture.domain.memzero([bytes.slice(256..<300), bytes.slice(300..<512)])
        #expect(bytes.array.allSatisfy { $0 == 0 })
    }

    @Test("sides of different totals: the error names both totals, errno EINVAL")
    func totalsDiffer() async throws {
        let fixture = try CopyingDomain()
        let small = Bytes(4096, fill: 1), large = Bytes(8192, fill: 0)
        let error = try #require(await thrown { () async throws(DMAError) in
            try await fixture.domain.push(into: large.buffer, from: small.readable)
        })
        #expect(error.errno == EINVAL)
        #expect(error.message.contains("refused: source and destination totals differ: 4096 vs 8192 bytes"), "\(error)")
        #expect(large.array.allSatisfy { $0 == 0 })
    }

    @Test("an empty buffer list side names the list; the system domain runs the same contract")
    func emptyList() async throws {
        let source = Bytes(64, fill: 1), empty = Bytes(64, fill: 0)
        let error = try #require(await thrown { () async throws(DMAError) in
            try await MemoryDomain.system.pull(from: [source.readable], into: [empty.slice(0..<0), empty.slice(0..<0)])
        })
        #expect(error.errno == EINVAL)
        #expect(error.message.contains("destination iovec list: 0 bytes in 2 entries"), "\(error)")
    }

    @Test("an iovec longer than SSIZE_MAX names its list and index; a NULL base is EFAULT")
    func entryRules() async throws {
        let fixture = try CopyingDomain()
        let bytes = Bytes(64, fill: 1)
        let source = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 1)
        let destination = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 3)
        defer { source.deallocate(); destination.deallocate() }
        source[0] = iovec(iov_base: bytes.buffer.baseAddress, iov_len: 64)
        destination[0] = iovec(iov_base: bytes.buffer.baseAddress, iov_len: 32)
        destination[1] = iovec(iov_base: nil, iov_len: 0)
        destination[2] = iovec(iov_base: bytes.buffer.baseAddress, iov_len: -1)  // SIZE_MAX
        let tooLong = try #require(await thrown { () async throws(DMAError) in
            try await fixture.domain.pull(from: source, into: destination)
        })
        #expect(tooLong.errno == EINVAL)
        #expect(tooLong.message.contains("destination iovec 2: length 18446744073709551615 exceeds SSIZE_MAX (9223372036854775807)"),
                "\(tooLong)")
        destination[2] = iovec(iov_base: nil, iov_len: 32)
        let nullBase = try #require(await thrown { () async throws(DMAError) in
            try await fixture.domain.push(into: destination, from: source)
        })
        #expect(nullBase.errno == EFAULT)
        #expect(nullBase.message.contains("destination iovec 2: length 32 with a NULL base"), "\(nullBase)")
    }

    @Test("a refusal that is not about the arguments keeps the domain's errno and message")
    func otherRefusal() async throws {
        let bytes = Bytes(64, fill: 1)
        let error = try #require(await thrown { () async throws(DMAError) in
            try await MemoryDomain.system.memzero(bytes.buffer)
        })
        #expect(error.errno == ENOTSUP)
        #expect(!error.message.contains("dmahost/iovec.h"))
    }
}
