import CDMAHostABI
import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// The configuration variables plugins declare (plugin ABI 1.2), as the host reads them.
@Suite("Configuration variables")
struct ConfigVariableTests {
    @Test("a C plugin's variables are read with their names, defaults and documentation")
    func declared() throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DCONFIG_NAME=\"FIXTURE_LEVEL\""])
        let (host, outcomes) = directory.host()
        #expect(outcomes.rejections.isEmpty, "\(outcomes.rejections)")
        let fixture = try #require(host.driver(named: "fixture"))
        #expect(fixture.configVariables == [DMAConfigVariable(name: "FIXTURE_LEVEL", defaultValue: "1", doc: "a fixture variable")])
        let sample = try #require(host.driver(named: "vendor-c"))
        #expect(sample.configVariables.map(\.name) == ["DMAHOST_VENDOR_C_DEVICES"])
        #expect(try #require(host.driver(named: "vendor-swift")).configVariables.map(\.name) == ["DMAHOST_VENDOR_SWIFT_DEVICES"])
    }

    @Test("a table that ends before the 1.2 fields (a plugin built for ABI 1.1) declares none, whatever follows it")
    func olderTable() throws {
        let directory = try PluginDirectory.withSamples()
        let size = MemoryLayout<dmahost_driver_ops>.offset(of: \.config_variables) ?? 0
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DCONFIG_NAME=\"fixture lower\"", "-DOPS_SIZE=\(size)"])
        let (host, outcomes) = directory.host()
        #expect(outcomes.rejections.isEmpty, "\(outcomes.rejections)")
        #expect(try #require(host.driver(named: "fixture")).configVariables.isEmpty)
    }

    @Test("variable names: A-Z, 0-9 and _, starting with a letter, at most 128 bytes", arguments: [
        ("DMAHOST_CPU_WORKERS", true), ("A", true), ("X9_", true), (String(repeating: "A", count: 128), true),
        ("", false), ("9LIVES", false), ("_X", false), ("lower", false), ("WITH SPACE", false), ("É", false),
        (String(repeating: "A", count: 129), false),
    ])
    func names(_ name: String, _ valid: Bool) {
        #expect((DMAConfigVariable.nameProblem(name) == nil) == valid)
    }

    @Test("dmahost_version() is the library version of dmahost/host.h")
    func version() throws {
        let version = try #require(dmahost_version_export())
        #expect(String(cString: version) == "\(DMAHOST_VERSION_MAJOR).\(DMAHOST_VERSION_MINOR).\(DMAHOST_VERSION_PATCH)")
        #expect(HostVersion.driverABI == "\(DMAHOST_DRIVER_ABI_MAJOR).\(DMAHOST_DRIVER_ABI_MINOR)")
    }
}
