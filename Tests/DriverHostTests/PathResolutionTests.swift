import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// What is checked is what is loaded: every candidate is resolved to its canonical absolute
/// path, which is what the host opens, maps and reports; the dynamic linker never searches.
@Suite("Plugin path resolution")
struct PathResolutionTests {
    var dmactl: String { Fixtures.buildDirectory + "/dmactl" }

    @Test("A bare file name given explicitly is the file in the current directory, not one the dynamic linker finds")
    func bareExplicitName() throws {
        // A plugin named like a sample but serving driver "bare": dmactl's RUNPATH holds the
        // real vendor-c, which a search by the dynamic linker would find instead.
        let directory = try Fixtures.temporaryDirectory()
        let plugin = try Fixtures.buildPlugin("vendor-c", in: directory, flags: ["-DPLUGIN_NAME=\"bare\""])
        #expect(FileManager.default.fileExists(atPath: Fixtures.buildDirectory + "/libdmahost-vendor-c.so"))
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        let result = try Fixtures.run(dmactl, ["--driver-dir", "libdmahost-vendor-c.so", "--no-default-drivers", "list", "--no-open"],
                                      environment: environment, currentDirectory: directory)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("bare"), "\(result.output)")
        #expect(result.output.contains("\(plugin) (explicit)"), "list reports the file loaded: \(result.output)")
        #expect(!result.output.contains("vendor-c  "), "\(result.output)")
    }

    @Test("A relative DMAHOST_DRIVER_PATH entry is refused with the absolute path it would have meant")
    func relativeEnvironmentEntry() throws {
        let samples = try PluginDirectory.withSamples()
        let search = DriverSearch(explicit: [], environmentPath: "libdmahost-vendor-c.so:plugins/x:\(samples.path)")
        let (candidates, problems) = search.candidates(in: Fixtures.execution())
        #expect(candidates.map(\.path) == [samples.path + "/libdmahost-vendor-c.so", samples.path + "/libdmahost-vendor-swift.so"])
        #expect(problems.map(\.kind) == [.refused, .refused])
        #expect(problems.map(\.candidate.path) == ["libdmahost-vendor-c.so", "plugins/x"])
        let cwd = FileManager.default.currentDirectoryPath
        #expect(problems.first?.reason.contains("DMAHOST_DRIVER_PATH entries must be absolute paths") == true)
        #expect(problems.first?.reason.contains("write \(cwd)/libdmahost-vendor-c.so if that is the one meant") == true,
                "\(problems)")
    }

    @Test("Through dmactl, a bare name in DMAHOST_DRIVER_PATH loads nothing and doctor says why")
    func bareEnvironmentNameThroughDMACtl() throws {
        let directory = try Fixtures.temporaryDirectory()
        try Fixtures.buildPlugin("vendor-c", in: directory, flags: ["-DPLUGIN_NAME=\"bare\""])
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = "libdmahost-vendor-c.so"
        let result = try Fixtures.run(dmactl, ["doctor"], environment: environment, currentDirectory: directory)
        #expect(result.output.contains("[rejected] libdmahost-vendor-c.so (environment): refused: DMAHOST_DRIVER_PATH entries must be absolute paths"),
                "\(result.output)")
        #expect(!result.output.contains("driver bare"), "\(result.output)")
    }

    @Test("A plugin found through a symbolic link reports its real path; the path as found is kept on the candidate")
    func realPathReported() async throws {
        let samples = try PluginDirectory.withSamples()
        let alias = try Fixtures.temporaryDirectory() + "/plugins"
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: samples.path)
        let host = DriverHost()
        #expect(host.load(paths: [alias]).loadedNames == ["vendor-c", "vendor-swift"])
        let driver = try #require(host.driver(named: "vendor-c"))
        #expect(driver.path == samples.path + "/libdmahost-vendor-c.so")
        #expect(driver.candidate.path == alias + "/libdmahost-vendor-c.so")
        try await expectServes(host, "vendor-c:0")

        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        let list = try Fixtures.run(dmactl, ["--driver-dir", alias, "--no-default-drivers", "list", "--no-open"], environment: environment)
        #expect(list.output.contains(samples.path + "/libdmahost-vendor-c.so (explicit)"), "\(list.output)")
        let doctor = try Fixtures.run(dmactl, ["--driver-dir", alias, "--no-default-drivers", "doctor"], environment: environment)
        #expect(doctor.output.contains("[loaded]   \(samples.path)/libdmahost-vendor-c.so (explicit, found as \(alias)/libdmahost-vendor-c.so)"),
                "\(doctor.output)")
    }
}
