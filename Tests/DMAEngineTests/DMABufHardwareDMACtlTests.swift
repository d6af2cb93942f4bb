import Testing

/// `dmactl copy` into and out of dma-buf domains: the buffers on the dma-buf side are
/// allocated through the domain's allocation interface (`dmahost/dmabuf.h`), since a dma-buf
/// domain addresses only its own buffers.
@Suite(.enabled(if: Hardware.inVM && BuiltPlugin.path("dmaengine") != nil,
                "runs in the test guest only (Tests/VM/dmabuf-tests.sh), where udmabuf, the system heap and vgem exist"))
struct DMABufHardwareDMACtlTests {
    @Test("dmactl copy moves and verifies data between system memory and each dma-buf device (by device or domain id), both ways",
          arguments: ["dmaengine:udmabuf", "dmaengine:heap-system", "dmabuf:udmabuf"])
    func copy(device: String) throws {
        let plugin = try #require(BuiltPlugin.path("dmaengine"))
        let dmactl = String(plugin[..<(plugin.lastIndex(of: "/") ?? plugin.startIndex)]) + "/dmactl"
        for (from, to) in [("system", device), (device, "system")] {
            let (status, text) = try CProgram.run(dmactl, ["copy", "--no-default-drivers", "--driver-dir", plugin, "--from", from,
                                                          "--to", to, "--size", "1M", "--format", "json"])
            print("dmactl copy \(from) -> \(to): \(text)")
            #expect(status == 0, "\(from) -> \(to): \(text)")
            #expect(text.contains("\"verified\" : true"), "\(from) -> \(to): \(text)")
        }
    }

    @Test("dmactl copy between a dma-buf device and rdma:rxe0, both ways: a buffer rxe cannot pin (system heap, vgem) makes the transfer ENOTSUP and copy falls back to a bounce buffer",
          arguments: ["dmaengine:udmabuf", "dmaengine:heap-system", "dmaengine:card0"])
    func copyWithRDMA(device: String) throws {
        let plugin = try #require(BuiltPlugin.path("dmaengine"))
        let rdma = try #require(BuiltPlugin.path("rdma"), "libdmahost-rdma.so is built beside the dmaengine plugin")
        let dmactl = String(plugin[..<(plugin.lastIndex(of: "/") ?? plugin.startIndex)]) + "/dmactl"
        for (from, to) in [(device, "rdma:rxe0"), ("rdma:rxe0", device)] {
            let (status, text) = try CProgram.run(dmactl, ["copy", "--no-default-drivers", "--driver-dir", plugin, "--driver-dir", rdma,
                                                          "--from", from, "--to", to, "--size", "64K", "--format", "json"])
            print("dmactl copy \(from) -> \(to): \(text)")
            #expect(status == 0, "\(from) -> \(to): \(text)")
            #expect(text.contains("\"verified\" : true"), "\(from) -> \(to): \(text)")
            #expect(text.contains("\"method\" : \"transfer\"") || text.contains("pull+push (bounce buffer)"), "\(text)")
        }
    }
}
