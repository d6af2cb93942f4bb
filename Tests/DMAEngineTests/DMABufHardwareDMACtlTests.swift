import Testing

/// `dmactl copy` into and out of dma-buf domains: the buffers on the dma-buf side are
/// allocated through the domain's allocation interface (`dmahost/dmabuf.h`), since a dma-buf
/// domain addresses only its own buffers.
@Suite(.enabled(if: Hardware.inVM && BuiltPlugin.path("dmaengine") != nil,
                "runs in the test guest only (Tests/VM/dmabuf-tests.sh), where udmabuf, the system heap and vgem exist"))
struct DMABufHardwareDMACtlTests {
    @Test("dmactl copy moves and verifies data between system memory and each dma-buf device, both ways",
          arguments: ["dmaengine:udmabuf", "dmaengine:heap-system"])
    func copy(device: String) throws {
        let plugin = try #require(BuiltPlugin.path("dmaengine"))
        let dmactl = String(plugin[..<(plugin.lastIndex(of: "/") ?? plugin.startIndex)]) + "/dmactl"
        for (from, to) in [("system", device), (device, "system")] {
            let (status, text) = try CProgram.run(dmactl, ["copy", "--no-default-drivers", "--driver-dir", plugin, "--from", from,
                                                          "--to", to, "--size", "1M", "--format", "json"])
            print("dmactl copy \(from) -> \(to): \(text)")
            #expect(status == 0, "\(from) -> \(to): \(text)")
            #expect(text.contains("\"verified\": true"), "\(from) -> \(to): \(text)")
        }
    }
}
