import DMAHost
import DriverHost
import Foundation
import Testing

@Suite("UCX: peers that are unreachable or die", .enabled(if: UCXTestSupport.available, "needs libucp.so.0 (UCX) and the built plugin"))
struct UCXFailureTests {
    @Test("opening a peer nobody listens on fails with a reason that names it")
    func unreachable() throws {
        // A port that was free a moment ago: bound, then closed.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try #require(bind(socket, raw, length) == 0)
                try #require(getsockname(socket, raw, &length) == 0)
            }
        }
        close(socket)
        let peer = "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let host = try ucxHost(peer: peer)
        defer { host.closeAll() }
        #expect(host.device(id: "ucx:" + peer) != nil, "the peer is a device before anything connects")
        do {
            _ = try host.open(deviceID: "ucx:" + peer)
            Issue.record("opening \(peer) succeeded")
        } catch {
            #expect(error.message.contains("cannot connect to \(peer)"), "\(error.message)")
            #expect(error.errno == ECONNREFUSED || error.errno == ETIMEDOUT, "\(error.errno)")
        }
    }

    @Test("a server killed with SIGKILL: operations fail (ECONNRESET in flight, ENOTCONN after), and close+open reaches a restarted server")
    func serverDies() async throws {
        let first = try ServerProcess(["--listen", "127.0.0.1:0", "--size", "8M"])
        let address = first.address
        let device = "ucx:" + address
        let host = try ucxHost(peer: address)
        defer { host.closeAll() }
        let domain = try #require(try host.open(deviceID: device).first)
        let context = try remoteContext(domain)
        let length = 256 << 10
        let remote = UnsafeMutableRawBufferPointer(start: try remoteAlloc(context, length), count: length)
        let local = pattern(length)
        defer { local.deallocate() }
        try await domain.push(into: remote, from: UnsafeRawBufferPointer(local))

        first.send(SIGKILL)
        first.process.waitUntilExit()
        var errnos: [Int32] = []
        for _ in 0..<200 where errnos.last != ENOTCONN {
            do {
                try await domain.push(into: remote, from: UnsafeRawBufferPointer(local), timeout: .seconds(30))
            } catch {
                errnos.append(error.errno)
                continue
            }
            try await Task.sleep(for: .milliseconds(50))  // not noticed yet: the kernel's reset is on its way
        }
        #expect(errnos.last == ENOTCONN, "\(errnos)")
        #expect(errnos.allSatisfy { $0 == ENOTCONN || $0 == ECONNRESET }, "\(errnos)")

        let second = try ServerProcess(["--listen", address, "--size", "8M"])
        #expect(second.address == address)
        try host.close(deviceID: device)
        let reopened = try #require(try host.open(deviceID: device).first)
        let again = UnsafeMutableRawBufferPointer(start: try remoteAlloc(try remoteContext(reopened), length), count: length)
        try await reopened.push(into: again, from: UnsafeRawBufferPointer(local))
        let back = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 64)
        defer { back.deallocate() }
        try await reopened.pull(from: UnsafeRawBufferPointer(again), into: back)
        #expect(back.elementsEqual(local))
    }
}
