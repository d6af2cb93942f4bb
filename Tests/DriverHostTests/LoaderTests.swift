import DMAHost
@testable import DriverHost
import Foundation
import Testing

@Suite("Plugin loader")
struct LoaderTests {
    @Test("Both vendor samples load from a directory outside the build tree")
    func loadsSamplesFromOutsideBuildTree() async throws {
        let directory = try PluginDirectory.withSamples()
        #expect(!directory.path.hasPrefix(Fixtures.repositoryRoot))
        let (host, outcomes) = directory.host()
        #expect(outcomes.rejections.isEmpty)
        #expect(outcomes.loadedNames == ["vendor-c", "vendor-swift"])

        let c = try #require(host.driver(named: "vendor-c"))
        let swift = try #require(host.driver(named: "vendor-swift"))
        #expect(c.path == directory.path + "/libdmahost-vendor-c.so")
        #expect(swift.path == directory.path + "/libdmahost-vendor-swift.so")
        #expect(c.candidate.source == .explicit)
        #expect(c.version == "1.0.0" && swift.version == "1.0.0")
        #expect(c.abiVersion == "1.3")
        #expect(c.deviceTypes == [DMADeviceType(rawValue: 1001)])
        #expect(swift.deviceTypes == [DMADeviceType(rawValue: 1000)])

        let devices = host.devices
        #expect(devices.map(\.id) == ["vendor-c:0", "vendor-c:1", "vendor-swift:0", "vendor-swift:1"])
        #expect(devices.map(\.driverName) == ["vendor-c", "vendor-c", "vendor-swift", "vendor-swift"])
        #expect(devices.allSatisfy { $0.info.capabilities.contains([.copy, .fill, .scatterGather, .transfer]) })
        for id in ["vendor-c:0", "vendor-swift:0"] { try await expectServes(host, id) }
    }

    @Test("Opening creates the device's domain in the process registry; closing destroys it")
    func openAndClose() throws {
        // Other tests create domains concurrently in the same process registry: check this
        // domain's membership, not counts.
        let (host, _) = try PluginDirectory.withSamples().host()
        let domains = try host.open(deviceID: "vendor-swift:1")
        let domain = try #require(domains.first)
        #expect(domains.map(\.id) == ["vendor-swift:1"])
        #expect(domain.type == DMADeviceType(rawValue: 1000))
        #expect(host.isOpen("vendor-swift:1"))
        #expect(MemoryDomain.all(id: "vendor-swift:1").contains(domain))
        #expect(try host.open(deviceID: "vendor-swift:1") == domains, "opening an open device returns its domains")
        try host.close(deviceID: "vendor-swift:1")
        #expect(!host.isOpen("vendor-swift:1"))
        // The plugin destroyed it through the host table (which forgets it only then).
        #expect(host.domains(of: "vendor-swift:1").isEmpty)
    }

    @Test("Opening a selection opens each device once and returns the domains in device order")
    func openSelection() throws {
        let (host, _) = try PluginDirectory.withSamples().host()
        let domains = try host.open("vendor:,^vendor-c:1")
        #expect(domains.compactMap(\.id) == ["vendor-c:0", "vendor-swift:0", "vendor-swift:1"])
        #expect(host.openDeviceIDs == ["vendor-c:0", "vendor-swift:0", "vendor-swift:1"])
        host.closeAll()
        #expect(host.openDeviceIDs.isEmpty)
    }

    @Test("An unknown device gives the closest ids")
    func unknownDevice() throws {
        let (host, _) = try PluginDirectory.withSamples().host()
        #expect(throws: DMAError.noDevice("no device 'vendor-c:2'; did you mean 'vendor-c:0', 'vendor-c:1'?")) {
            try host.open(deviceID: "vendor-c:2")
        }
    }

    @Test("Each driver's diagnose lines are collected")
    func diagnostics() throws {
        let (host, _) = try PluginDirectory.withSamples().host()
        let reports = host.diagnostics()
        #expect(reports.map(\.driverName) == ["vendor-c", "vendor-swift"])
        for report in reports {
            #expect(report.lines.map(\.subject) == ["engine", "hardware"])
            #expect(report.lines.allSatisfy { $0.ok })
        }
    }

    @Test("Two hosts load the same plugin file independently")
    func twoHosts() async throws {
        let directory = try PluginDirectory.withSamples()
        let (first, _) = directory.host()
        let (second, _) = directory.host()
        try await expectServes(first, "vendor-c:0")
        try await expectServes(second, "vendor-c:0")
        first.shutdown()
        #expect(throws: DMAError.self) { try first.open(deviceID: "vendor-c:1") }
        try await expectServes(second, "vendor-swift:0")
    }

    @Test("Loading the same file again does nothing; a second copy elsewhere is a duplicate name")
    func reloading() throws {
        let directory = try PluginDirectory.withSamples()
        let host = DriverHost()
        #expect(host.load(paths: [directory.path]).loadedNames == ["vendor-c", "vendor-swift"])
        #expect(host.load(paths: [directory.path + "/libdmahost-vendor-c.so"]).isEmpty)
        let copy = try PluginDirectory.withSamples()
        let outcomes = host.load(paths: [copy.path])
        #expect(outcomes.rejections.map(\.kind) == [.duplicateName, .duplicateName])
        #expect(host.drivers.count == 2)
    }

    @Test("Search order: explicit, then DMAHOST_DRIVER_PATH, then the installed directory; a file is one candidate")
    func searchOrder() throws {
        let explicit = try PluginDirectory.withSamples()
        let environment = try Fixtures.temporaryDirectory()
        let fixture = try Fixtures.buildPlugin("fixture", in: environment)
        let installed = try Fixtures.temporaryDirectory()
        let other = try Fixtures.buildPlugin("other", in: installed, flags: ["-DPLUGIN_NAME=\"other\""])
        let search = DriverSearch(explicit: [explicit.path], environmentPath: "\(environment)::\(fixture)",
                                  installedDirectories: [installed, explicit.path])
        let (candidates, problems) = search.candidates()
        #expect(problems.isEmpty)
        #expect(candidates.map(\.path) == [explicit.path + "/libdmahost-vendor-c.so", explicit.path + "/libdmahost-vendor-swift.so",
                                           fixture, other])
        #expect(candidates.map(\.source) == [.explicit, .explicit, .environment, .installed])
    }

    @Test("The installed directory is the one holding the test binary (and libDMAHost.so)")
    func installedDirectory() {
        let directories = DriverSearch.installedPluginDirectories()
        let first = directories.first ?? ""
        #expect(FileManager.default.fileExists(atPath: first + "/libdmahost-vendor-c.so"),
                "expected the SwiftPM build directory, got \(directories)")
    }

    @Test("Plugin file names in directories are libdmahost-*.so")
    func pluginFileNames() {
        #expect(DriverSearch.isPluginFileName("libdmahost-cpu.so"))
        #expect(!DriverSearch.isPluginFileName("libdmahost-.so"))
        #expect(!DriverSearch.isPluginFileName("libDMAHost.so"))
        #expect(!DriverSearch.isPluginFileName("libdmahost-cpu.so.1"))
    }
}

@Suite("C vendor sample built without SwiftPM")
struct PlainCSampleTests {
    @Test("Plugins/VendorSampleC builds with cc alone, needs only libc, and serves through the loader")
    func plainC() async throws {
        let directory = try Fixtures.temporaryDirectory("dmahost-plain-c")
        let sources = Fixtures.repositoryRoot + "/Plugins/VendorSampleC"
        let plugin = directory + "/libdmahost-vendor-c.so"
        let (compiler, _) = Sanitizer.current.programCompiler
        let built = try Fixtures.run(compiler, ["-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                                                "-I", Fixtures.includeDirectory, "-I", sources + "/include",
                                                sources + "/engine.c", sources + "/plugin.c", "-o", plugin, "-lpthread"])
        try #require(built.status == 0, "\(built.output)")
        let dynamic = try Fixtures.run("readelf", ["-d", "-W", plugin])
        let needed = dynamic.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty && needed.allSatisfy { $0.contains("libc.so") || $0.contains("libpthread.so") },
                "the C sample must need only libc: \(needed)")
        let exported = try Fixtures.run("nm", ["-D", "--defined-only", plugin]).stdout
        #expect(exported.contains(" T dmahost_driver_entry"))
        #expect(!exported.contains("vs_engine"), "engine functions stay private to the plugin")

        let host = DriverHost()
        #expect(host.load(paths: [directory]).loadedNames == ["vendor-c"])
        try await expectServes(host, "vendor-c:1")
        host.shutdown()
    }
}
