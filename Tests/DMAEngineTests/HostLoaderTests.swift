import DMABuf
import DMADriverKit
import DMAHost
import DriverHost
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built plugin through the real loader (DriverHost), on any machine: it loads, is not
/// rejected, reports only `dmaengine:` devices, and explains what is missing.
@Suite struct HostLoaderTests {
    @Test func loaderLoadsThePluginAndShowsItsDiagnosis() throws {
        let path = try #require(BuiltPlugin.path("dmaengine"), "build the plugin product first (swift build)")
        let host = DriverHost()
        KeptForProcessLifetime.keep(host)
        defer { host.closeAll() }
        let outcomes = host.load(paths: [path])
        #expect(host.rejections.isEmpty, "\(host.rejections)")
        guard case .loaded(let driver)? = outcomes.first else { Issue.record("not loaded: \(outcomes)"); return }
        #expect(driver.name == "dmaengine" && driver.deviceTypes == [.dma])
        #expect(host.devices.allSatisfy { $0.id.hasPrefix("dmaengine:") && $0.driverName == "dmaengine" })
        let lines = try #require(host.diagnostics().first { $0.driverName == "dmaengine" }).lines
        #expect(lines.contains { $0.subject == "/dev/udmabuf" })
        #expect(lines.contains { $0.subject.contains("/class/dma") })
        #expect(lines.contains { $0.subject == "CPU submission instructions" })
        if !Hardware.udmabuf {
            #expect(lines.contains { !$0.ok && $0.detail.contains("CONFIG_UDMABUF not enabled") })
        }
    }
}

/// The plugin loaded by DriverHost in the test guest: every dma-buf device opens, its domain
/// allocates and moves data, and a transfer crosses two domains of the loaded plugin.
@Suite(.enabled(if: Hardware.inVM, "runs in the test guest only (Tests/VM/dmabuf-tests.sh)"))
struct DMABufHardwareHostLoaderTests {
    @Test func everyDMABufDeviceOpensThroughTheLoaderAndMovesData() async throws {
        let path = try #require(BuiltPlugin.path("dmaengine"))
        let host = DriverHost()
        KeptForProcessLifetime.keep(host)
        defer { host.closeAll() }
        _ = host.load(paths: [path])
        let ids = host.devices.map(\.id)
        #expect(ids.contains("dmaengine:udmabuf") && ids.contains("dmaengine:heap-system") && ids.contains("dmaengine:card0"), "\(ids)")
        let domains = try host.open("dmaengine:*")
        #expect(Set(domains.compactMap(\.id)) == ["dmabuf:udmabuf", "dmabuf:heap-system", "dmabuf:vgem"])
        var generator = SystemRandomNumberGenerator()
        var previous: (MemoryDomain, DMABufAllocation)?
        let length = 33_333
        let data = LocalMemory(length)
        data.randomize()
        for domain in domains {
            let interface = try DMABufDomainInterface(userContext: domain.userContext)
            let buffer = try interface.allocate(length: length)
            if let (source, sourceBuffer) = previous {
                try await domain.transfer(into: randomPieces(buffer.address, length, using: &generator), from: source,
                                          randomPieces(sourceBuffer.address, length, using: &generator))
            } else {
                try await domain.push(into: [(buffer.address, length)], from: [(data.base, length)])
            }
            let back = LocalMemory(length, fill: 0)
            try await domain.pull(from: [(buffer.address, length)], into: [(back.base, length)])
            #expect(Array(back.bytes) == Array(data.bytes), "\(domain)")
            previous = (domain, buffer)
        }
        host.closeAll()
        #expect(host.openDeviceIDs.isEmpty && host.domains(of: "dmaengine:udmabuf").isEmpty)
    }
}
