import CDMAHostABI
import DMAHost
import DriverHost
import Foundation
import Testing

@Suite("UCX: allocation in a remote domain (dmahost/remote.h)", .enabled(if: UCXTestSupport.available, "needs libucp.so.0 (UCX) and the built plugin"))
struct UCXAllocationTests {
    @Test("two clients get disjoint, aligned ranges inside the region; free, bad requests, and a client's ranges freed when it goes")
    func allocator() throws {
        let server = try InProcessServer(size: 1 << 20)
        let firstHost = try ucxHost(peer: server.address)
        let secondHost = try ucxHost(peer: server.address)
        defer { firstHost.closeAll(); secondHost.closeAll() }
        let first = try remoteContext(try #require(try firstHost.open(deviceID: server.deviceID).first))
        let second = try remoteContext(try #require(try secondHost.open(deviceID: server.deviceID).first))
        let alloc = try #require(first.pointee.alloc)
        let free = try #require(first.pointee.free)

        var ranges: [(start: UInt64, length: UInt64)] = []
        for (context, length, alignment) in [(first, 1000, 64), (second, 5000, 4096), (first, 70_000, 65_536), (second, 1, 0)] {
            var address: UInt64 = 0
            #expect(alloc(context, UInt64(length), UInt64(alignment), &address) == 0)
            #expect(address % UInt64(max(alignment, 64)) == 0, "aligned to \(alignment)")
            #expect(address >= server.base && address + UInt64(length) <= server.base + server.bytes, "inside the region")
            ranges.append((address, UInt64(length)))
        }
        for (index, range) in ranges.enumerated() {
            for other in ranges[(index + 1)...] {
                #expect(range.start + range.length <= other.start || other.start + other.length <= range.start, "disjoint")
            }
        }
        var address: UInt64 = 0
        #expect(alloc(first, 0, 64, &address) == -EINVAL, "zero length")
        #expect(alloc(first, 64, 3, &address) == -EINVAL, "alignment not a power of two")
        #expect(alloc(first, 2 << 20, 64, &address) == -ENOMEM, "larger than the region")
        #expect(free(second, ranges[0].start) == -ENOENT, "a range of another client")
        #expect(free(first, ranges[0].start) == 0)
        #expect(free(first, ranges[0].start) == -ENOENT, "freed twice")

        func allocations() -> [UInt64] { server.clients.filter { $0["state"] as? String == "connected" }.compactMap { ($0["allocations"] as? NSNumber)?.uint64Value } }
        #expect(allocations().sorted() == [1, 2])
        try secondHost.close(deviceID: server.deviceID)
        // The server notices the disconnection on its own thread: wait for it, boundedly.
        for _ in 0..<100 where allocations() != [1] { usleep(20_000) }
        #expect(allocations() == [1], "the second client's ranges were freed when it went")
        #expect(server.clients.count >= 2)
    }
}
