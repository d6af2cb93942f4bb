import CDMAHostABI
@_spi(CABI) import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// Domain ownership through the host table: a plugin creates domains only in its own id
/// namespace (SPDK's reserved ids only for their backend, never "system"), and sets callbacks
/// on or destroys only the domains it created. Refusals are -EPERM and a log line naming it.
@Suite("Hostile plugins: domain ownership")
struct DomainOwnershipTests {
    /// Opens fixture:0 of a plugin built with `flags`; returns the host and the open's error.
    func open(_ flags: [String], device: String = "fixture:0") throws -> (DriverHost, DMAError?) {
        let (host, outcomes) = try HostilePlugin(flags).host()
        try #require(outcomes.rejections.isEmpty, "\(outcomes.rejections)")
        do throws(DMAError) {
            try host.open(deviceID: device)
            return (host, nil)
        } catch {
            return (host, error)
        }
    }

    @Test("ids a vendor plugin may not create are refused with EPERM", arguments: [
        "SPDK_RDMA_DMA_DEVICE", "SPDK_ACCEL_DMA_DEVICE", "SPDK_NVME_DMA_DEVICE", "system", "vendor-c:9", "fixture", "fixture:", "fixturex:0",
    ])
    func refusedIDs(id: String) throws {
        let (host, error) = try open(["-DDOMAIN_ID=\"\(id)\""])
        #expect(error?.errno == EPERM, "\(String(describing: error))")
        #expect(!host.isOpen("fixture:0"))
        #expect(MemoryDomain.all(id: id).allSatisfy { $0.type.rawValue != 1500 }, "a vendor domain got the id \(id)")
    }

    @Test("get_first(\"SPDK_RDMA_DMA_DEVICE\") never finds a vendor plugin's domain")
    func reservedLookup() throws {
        let (host, error) = try open(["-DDOMAIN_ID=\"SPDK_RDMA_DMA_DEVICE\""])
        #expect(error != nil)
        withExtendedLifetime(host) {
            var cursor = spdk_memory_domain_get_first("SPDK_RDMA_DMA_DEVICE")
            while let domain = cursor {
                #expect(spdk_memory_domain_get_dma_device_type(domain) == SPDK_DMA_DEVICE_TYPE_RDMA)
                cursor = spdk_memory_domain_get_next(domain, "SPDK_RDMA_DMA_DEVICE")
            }
        }
    }

    @Test("ids in the plugin's own namespace, or no id, are accepted", arguments: ["\"fixture:0\"", "\"fixture:extra\"", "NULL"])
    func acceptedIDs(id: String) throws {
        let (host, error) = try open(["-DDOMAIN_ID=\(id)"])
        #expect(error == nil, "\(String(describing: error))")
        #expect(host.domains(of: "fixture:0").count == 1)
    }

    @Test("the reserved ids are accepted from the backend that owns them", arguments: [
        ("rdma", 0, "SPDK_RDMA_DMA_DEVICE"), ("cpu", 2, "SPDK_ACCEL_DMA_DEVICE"),
    ])
    func reservedForOwner(driver: String, type: Int, id: String) throws {
        let (host, error) = try open(["-DPLUGIN_NAME=\"\(driver)\"", "-DDECLARED_TYPE=\(type)", "-DDOMAIN_ID=\"\(id)\""],
                                     device: "\(driver):0")
        #expect(error == nil, "\(String(describing: error))")
        #expect(host.domains(of: "\(driver):0").first?.id == id)
    }

    @Test("a declared prefix extends the namespace; a prefix that is another driver's, reserved or invalid rejects the plugin")
    func declaredPrefixes() throws {
        let (host, error) = try open(["-DPREFIXES=\"blk\"", "-DDOMAIN_ID=\"blk:0\""])
        #expect(error == nil, "\(String(describing: error))")
        #expect(host.driver(named: "fixture")?.domainIDPrefixes == ["blk"])
        #expect(host.domains(of: "fixture:0").first?.id == "blk:0")

        for (prefix, reason) in [("cpu", "built-in driver 'cpu'"), ("system", "reserved"), ("SPDK_X", "reserved"), ("a b", "invalid")] {
            let (_, outcomes) = try HostilePlugin(["-DPREFIXES=\"\(prefix)\""]).host()
            let rejection = try #require(outcomes.rejections.first, "prefix \(prefix) was accepted")
            #expect(rejection.kind == .invalidTable)
            #expect(rejection.reason.contains(reason), "\(rejection.reason)")
        }
    }

    @Test("two drivers claiming the same namespace: the second is rejected as duplicateName")
    func namespaceClash() throws {
        let plugin = try HostilePlugin(["-DPREFIXES=\"shared\""], name: "first")
        try Fixtures.buildPlugin("second", in: plugin.directory, flags: ["-DPLUGIN_NAME=\"second\"", "-DPREFIXES=\"shared\""])
        try Fixtures.buildPlugin("third", in: plugin.directory, flags: ["-DPLUGIN_NAME=\"third\"", "-DPREFIXES=\"fixture\""])
        let (host, outcomes) = plugin.host()
        #expect(host.drivers.map(\.name) == ["fixture"])
        let reasons = outcomes.rejections.map(\.reason)
        #expect(outcomes.rejections.map(\.kind) == [.duplicateName, .duplicateName])
        #expect(reasons.contains { $0.contains("namespace 'shared:'") && $0.contains("driver 'fixture'") })
        #expect(reasons.contains { $0.contains("namespace 'fixture:'") })
    }

    @Test("set_push and destroy on another plugin's domain are refused: the victim keeps serving")
    func hijack() async throws {
        let directory = try PluginDirectory.withSamples("dmahost-hijack")
        try Fixtures.buildPlugin("zhijack", in: directory.path, flags: ["-DPLUGIN_NAME=\"zhijack\"", "-DHIJACK=\"vendor-c:0\""])
        let (host, outcomes) = directory.host()
        #expect(outcomes.rejections.isEmpty)
        let victim = try #require(try host.open(deviceID: "vendor-c:0").first)
        try host.open(deviceID: "zhijack:0")
        #expect(host.domains(of: "vendor-c:0") == [victim])
        #expect(victim.registrationSequence != nil, "the victim was destroyed")
        try await expectServes(host, "vendor-c:0")
    }

    @Test("dmactl names the plugin whose set_push and destroy on another plugin's domain were refused")
    func hijackLogged() throws {
        let directory = try PluginDirectory.withSamples("dmahost-hijack")
        try Fixtures.buildPlugin("zhijack", in: directory.path, flags: ["-DPLUGIN_NAME=\"zhijack\"", "-DHIJACK=\"vendor-c:0\""])
        let result = try HostilePlugin.dmactl(directory: directory.path, ["list"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("refused (EPERM): driver 'zhijack': spdk_memory_domain_set_push on domain 'vendor-c:0', which this plugin did not create"))
        #expect(result.output.contains("refused (EPERM): driver 'zhijack': domain_destroy: domain 'vendor-c:0' was not created by this plugin"))
        #expect(result.output.contains("device vendor-c:0"))
    }

    @Test("a reserved id is refused with a log line naming the plugin")
    func reservedLogged() throws {
        let plugin = try HostilePlugin(["-DDOMAIN_ID=\"SPDK_RDMA_DMA_DEVICE\""])
        let result = try plugin.dmactl(["list"])
        #expect(result.output.contains("refused (EPERM): driver 'fixture': domain_create for device 'fixture:0': domain id 'SPDK_RDMA_DMA_DEVICE' is reserved by SPDK for the 'rdma' backend"))
    }

    @Test("callbacks set from a plugin's own thread, outside the host's calls, are refused")
    func setFromThread() async throws {
        let (host, error) = try open(["-DSET_FROM_THREAD"])
        #expect(error == nil)
        try await Task.sleep(nanoseconds: 200_000_000)
        try await expectServes(host, "fixture:0")
    }

    @Test("the built-in backends load together and their domain ids pass the rules")
    func builtInBackends() throws {
        let host = DriverHost()
        let files = ["cpu", "rdma", "dmaengine"].map { "\(Fixtures.buildDirectory)/libdmahost-\($0).so" }
        let outcomes = host.load(paths: files.filter { FileManager.default.fileExists(atPath: $0) })
        #expect(outcomes.rejections.isEmpty, "\(outcomes.rejections)")
        #expect(host.driver(named: "dmaengine").map { $0.domainIDPrefixes == ["dmabuf"] } ?? true)
        for device in host.devices {
            do throws(DMAError) {
                let domains = try host.open(deviceID: device.id)
                #expect(!domains.isEmpty, "\(device.id) opened without a domain")
            } catch {
                #expect(error.errno != EPERM, "\(device.id): \(error.message)")
            }
        }
        host.closeAll()
    }

    @Test("the id rules, table-driven, including what every shipped backend creates", arguments: [
        ("cpu:0", "cpu", [String](), true), ("rdma:rxe0", "rdma", [], true), ("SPDK_RDMA_DMA_DEVICE", "rdma", [], true),
        ("dmabuf:udmabuf", "dmaengine", ["dmabuf"], true), ("dmaengine:wq0.0", "dmaengine", ["dmabuf"], true),
        ("vendor-c:0", "vendor-c", [], true), ("vendor-swift:1", "vendor-swift", [], true),
        ("SPDK_RDMA_DMA_DEVICE", "dmaengine", ["dmabuf"], false), ("SPDK_RDMA_DMA_DEVICE", "vendor-c", [], false),
        ("dmabuf:udmabuf", "vendor-c", [], false), ("system", "cpu", [], false), ("cpu:0", "vendor-cpu", [], false),
        ("SPDK_ACCEL_DMA_DEVICE", "cpu", [], true), ("SPDK_ACCEL_DMA_DEVICE", "rdma", [], false),
    ])
    func policy(id: String, driver: String, prefixes: [String], allowed: Bool) {
        #expect((DomainIDPolicy.problem(id: id, driver: driver, prefixes: prefixes) == nil) == allowed)
    }
}
