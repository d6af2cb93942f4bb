import CDMAHostABI
@_spi(CABI) import DMAHost
import DriverHost
import Foundation
import Testing

@Suite("CPU plugin: loading, devices and settings")
struct CPUPluginLoadingTests {
    @Test("the loader accepts libdmahost-cpu.so; cpu:0 is an ACCEL device with copy/fill/sg/translate-identity/transfer")
    func loads() throws {
        let host = try cpuHost()
        let driver = try #require(host.driver(named: "cpu"))
        #expect(driver.deviceTypes == [.accel])
        let device = try #require(host.device(id: "cpu:0"))
        #expect(device.info.type == .accel)
        #expect(device.info.capabilities == [.copy, .fill, .scatterGather, .translateIdentity, .transfer])
        #expect(host.devices.map(\.id) == ["cpu:0"] || ProcessInfo.processInfo.environment["DMAHOST_CPU_CHANNELS"] != nil)
    }

    @Test("the plugin declares the variables it reads (DMAHOST_CPU_*), through the Swift kit's export")
    func variables() throws {
        let driver = try #require(try cpuHost().driver(named: "cpu"))
        #expect(driver.configVariables.map(\.name) == ["DMAHOST_CPU_CHANNELS", "DMAHOST_CPU_WORKERS", "DMAHOST_CPU_COMPLETION",
                                                         "DMAHOST_CPU_QUEUE_DEPTH", "DMAHOST_CPU_CACHE_CONTROL"])
        #expect(driver.configVariables.first { $0.name == "DMAHOST_CPU_CACHE_CONTROL" }?.defaultValue == "auto")
        #expect(driver.configVariables.first { $0.name == "DMAHOST_CPU_WORKERS" }?.defaultValue == nil)
        #expect(driver.configVariables.first { $0.name == "DMAHOST_CPU_COMPLETION" }?.defaultValue == "worker")
        #expect(driver.configVariables.allSatisfy { !$0.doc.isEmpty })
    }

    @Test("opening cpu:0 creates one ACCEL domain with id cpu:0 whose user context describes the engine")
    func domainAndContext() throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        #expect(domain.type == .accel)
        #expect(domain.id == "cpu:0")
        let bytes = try #require(domain.userContext)
        #expect(bytes.count >= MemoryLayout<dmahost_cpu_domain_ctx>.size)
        let context = bytes.loadUnaligned(as: dmahost_cpu_domain_ctx.self)
        #expect(context.magic == DMAHOST_CPU_DOMAIN_MAGIC)
        #expect(context.size == MemoryLayout<dmahost_cpu_domain_ctx>.size)
        #expect(context.workers >= 1)
        #expect(context.engine != nil && context.poll != nil)
        #expect(MemoryDomain.all(id: "cpu:0").contains(domain))
        try host.close(deviceID: "cpu:0")
        #expect(!MemoryDomain.all(id: "cpu:0").contains(domain))
    }

    @Test("DMAHOST_CPU_CHANNELS gives cpu:0…cpu:N-1; DMAHOST_CPU_WORKERS, _COMPLETION and _CACHE_CONTROL configure each device")
    func settingsFromEnvironment() throws {
        let result = try dmactl(["list", "--format", "json"], environment: [
            "DMAHOST_CPU_CHANNELS": "3", "DMAHOST_CPU_WORKERS": "3", "DMAHOST_CPU_COMPLETION": "poll",
            "DMAHOST_CPU_CACHE_CONTROL": "bypass",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        for id in ["cpu:0", "cpu:1", "cpu:2"] { #expect(result.stdout.contains("\"\(id)\""), "\(id) missing from dmactl list") }
        #expect(!result.stdout.contains("\"cpu:3\""))
        #expect(result.stdout.contains("3 worker threads, poll completions"))
        #expect(result.stdout.contains("cache control bypass"))
    }

    @Test("bad settings make probe fail with a message naming the variable", arguments: [
        ("DMAHOST_CPU_CHANNELS", "0"), ("DMAHOST_CPU_WORKERS", "many"), ("DMAHOST_CPU_COMPLETION", "interrupt"),
        ("DMAHOST_CPU_QUEUE_DEPTH", "1000"), ("DMAHOST_CPU_CACHE_CONTROL", "sometimes"),
    ])
    func badSettings(variable: String, value: String) throws {
        let result = try dmactl(["doctor"], environment: [variable: value])
        #expect(result.status != 0)
        #expect((result.stdout + result.stderr).contains(variable), "the doctor output does not name \(variable)")
    }
}
