import CDMAHostABI
import DMAHost
import DriverHost
import Foundation
import Testing

/// A pattern in which every byte depends on its offset (a shifted copy shows).
func pattern(_ count: Int, seed: Int = 1) -> UnsafeMutableRawBufferPointer {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: (index &+ seed) &* 2_654_435_761 >> 11) }
    return buffer
}

/// The server runs in this process, so its region is this process's memory: the tests check
/// what arrived there directly, beside reading it back through the domain.
@Suite("UCX: data through a remote domain on loopback", .enabled(if: UCXTestSupport.available, "needs libucp.so.0 (UCX) and the built plugin"))
struct UCXDataPathTests {
    @Test("push then pull move every byte exactly (Swift API); memzero zeroes exactly its range")
    func pushPullMemzero() async throws {
        let server = try InProcessServer(size: 8 << 20)
        let host = try ucxHost(peer: server.address)
        defer { host.closeAll() }
        let domain = try #require(try host.open(deviceID: server.deviceID).first)
        #expect(domain.id == server.deviceID)
        let context = try remoteContext(domain)
        #expect(context.pointee.base == server.base && context.pointee.length == server.bytes && context.pointee.flags == 0)

        let length = (1 << 20) + 12_345
        let remote = UnsafeMutableRawBufferPointer(start: try remoteAlloc(context, length), count: length)
        let source = pattern(length)
        let back = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 64)
        defer { source.deallocate(); back.deallocate() }
        back.initializeMemory(as: UInt8.self, repeating: 0)

        try await domain.push(into: remote, from: UnsafeRawBufferPointer(source))
        #expect(remote.elementsEqual(source), "the server's memory holds the pushed bytes")
        try await domain.pull(from: UnsafeRawBufferPointer(remote), into: back)
        #expect(back.elementsEqual(source), "the pulled bytes are the pushed ones")

        try await domain.memzero(UnsafeMutableRawBufferPointer(rebasing: remote[100..<5_100]))
        #expect(remote[100..<5_100].allSatisfy { $0 == 0 })
        #expect(remote[99] == source[99] && remote[5_100] == source[5_100], "bytes next to the range are untouched")
    }

    @Test("scatter-gather: one request per overlap of local and remote entries, whatever the cut of each side")
    func scatterGather() async throws {
        let server = try InProcessServer(size: 4 << 20)
        let host = try ucxHost(peer: server.address)
        defer { host.closeAll() }
        let domain = try #require(try host.open(deviceID: server.deviceID).first)
        let length = 300_000
        let remote = try remoteAlloc(try remoteContext(domain), length + 64)
        let source = pattern(length, seed: 7)
        let back = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 64)
        defer { source.deallocate(); back.deallocate() }

        // Local: 5 uneven entries; remote: 3 entries with 16-byte holes that must stay untouched.
        let localCuts = [0, 1, 4_097, 100_000, 200_003, length]
        let locals = zip(localCuts, localCuts.dropFirst()).map { UnsafeRawBufferPointer(rebasing: source[$0..<$1]) }
        memset(remote, 0xEE, length + 64)
        let remoteCuts = [(0, 70_000), (70_016, 150_000), (150_032, length + 48)]
        let remotes = remoteCuts.map { UnsafeMutableRawBufferPointer(start: remote + $0.0, count: $0.1 - $0.0) }
        try await domain.push(into: remotes, from: locals)
        var offset = 0
        for piece in remotes {
            #expect(piece.elementsEqual(source[offset..<(offset + piece.count)]))
            offset += piece.count
        }
        #expect(remote.load(fromByteOffset: 70_000, as: UInt8.self) == 0xEE && remote.load(fromByteOffset: 150_031, as: UInt8.self) == 0xEE,
                "the holes between the remote entries are untouched")

        // Back in 2 local entries from the same 3 remote ones.
        let halves = [UnsafeMutableRawBufferPointer(rebasing: back[..<123_457]), UnsafeMutableRawBufferPointer(rebasing: back[123_457...])]
        try await domain.pull(from: remotes.map { UnsafeRawBufferPointer($0) }, into: halves)
        #expect(back.elementsEqual(source))
    }

    @Test("transfer into the remote domain: from the system domain, and from the same remote domain through a bounce buffer")
    func transfer() async throws {
        let server = try InProcessServer(size: 4 << 20)
        let host = try ucxHost(peer: server.address)
        defer { host.closeAll() }
        let domain = try #require(try host.open(deviceID: server.deviceID).first)
        let context = try remoteContext(domain)
        let length = 65_537
        let first = UnsafeMutableRawBufferPointer(start: try remoteAlloc(context, length), count: length)
        let second = UnsafeMutableRawBufferPointer(start: try remoteAlloc(context, length), count: length)
        let source = pattern(length, seed: 3)
        defer { source.deallocate() }
        second.initializeMemory(as: UInt8.self, repeating: 0)

        try await domain.transfer(into: first, from: .system, UnsafeRawBufferPointer(source))
        #expect(first.elementsEqual(source))
        try await domain.transfer(into: second, from: domain, UnsafeRawBufferPointer(first))
        #expect(second.elementsEqual(source))
    }

    @Test("transfer between two remote peers: the source peer's pull fills a bounce buffer, the destination's push empties it")
    func transferBetweenPeers() async throws {
        let source = try InProcessServer(size: 1 << 20)
        let destination = try InProcessServer(size: 1 << 20)
        try UCXExports.load().add(peer: source.address)
        let host = try ucxHost(peer: destination.address)
        defer { host.closeAll() }
        let from = try #require(try host.open(deviceID: source.deviceID).first)
        let into = try #require(try host.open(deviceID: destination.deviceID).first)
        let length = 200_001
        let sourceRange = UnsafeMutableRawBufferPointer(start: try remoteAlloc(try remoteContext(from), length), count: length)
        let destinationRange = UnsafeMutableRawBufferPointer(start: try remoteAlloc(try remoteContext(into), length), count: length)
        let expected = pattern(length, seed: 11)
        defer { expected.deallocate() }
        sourceRange.copyMemory(from: UnsafeRawBufferPointer(expected))  // the source server's own memory
        destinationRange.initializeMemory(as: UInt8.self, repeating: 0)

        let halves = [UnsafeRawBufferPointer(rebasing: sourceRange[..<77_777]), UnsafeRawBufferPointer(rebasing: sourceRange[77_777...])]
        try await into.transfer(into: [destinationRange], from: from, halves)
        #expect(destinationRange.elementsEqual(expected))
    }
}
