import DriverHost
import Foundation
import Testing

/// The installed-plugins directories of an installed tree (`Scripts/install.sh`): a program in
/// `PREFIX/bin` and the library in `PREFIX/lib` both find the plugins in `PREFIX/lib/dmahost`.
@Suite("Installed layout: where an installed program finds its plugins")
struct InstalledLayoutTests {
    /// A prefix with `bin/`, `lib/` and, when asked, `lib/dmahost/`; canonical path.
    static func prefix(withPluginDirectory: Bool) throws -> String {
        let directory = try Fixtures.temporaryDirectory("dmahost-prefix")
        guard let resolved = realpath(directory, nil) else { throw FixtureError("realpath \(directory) failed") }
        defer { free(resolved) }
        let root = String(cString: resolved)
        let directories = ["bin", "lib"] + (withPluginDirectory ? ["lib/dmahost"] : [])
        for directory in directories {
            try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        return root
    }

    @Test("a program in PREFIX/bin searches its own directory, then PREFIX/lib/dmahost")
    func program() throws {
        let root = try Self.prefix(withPluginDirectory: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(DriverSearch.installedPluginDirectories(forImage: root + "/bin/dmactl") == [root + "/bin", root + "/lib/dmahost"])
    }

    @Test("a library in PREFIX/lib searches its own directory, then PREFIX/lib/dmahost, once")
    func library() throws {
        let root = try Self.prefix(withPluginDirectory: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(DriverSearch.installedPluginDirectories(forImage: root + "/lib/libDMAHost.so.1") == [root + "/lib", root + "/lib/dmahost"])
    }

    @Test("without a dmahost directory only the image's own directory is searched (a SwiftPM build directory)")
    func buildDirectory() throws {
        let root = try Self.prefix(withPluginDirectory: false)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(DriverSearch.installedPluginDirectories(forImage: root + "/bin/dmactl") == [root + "/bin"])
        #expect(DriverSearch.installedPluginDirectories(forImage: root + "/lib/libDMAHost.so.1") == [root + "/lib"])
    }

    @Test("a refusal in secure-execution mode points at PREFIX/lib/dmahost, not at the program's own directory")
    func installHint() throws {
        let root = try Self.prefix(withPluginDirectory: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let installed = DriverSearch.installedPluginDirectories(forImage: root + "/bin/dmactl")
        let search = DriverSearch(explicit: [], installedDirectories: installed, ignoredEnvironmentPath: "/elsewhere")
        let (_, problems) = search.candidates(in: Fixtures.secureExecution(environment: ["DMAHOST_DRIVER_PATH": "/elsewhere"]))
        let reason = try #require(problems.first?.reason)
        #expect(reason.contains("install plugins in \(root)/lib/dmahost "), "\(reason)")
    }

    @Test("dmactl copied into PREFIX/bin loads the plugins of PREFIX/lib/dmahost and copies through them")
    func copiedProgram() throws {
        let root = try Self.prefix(withPluginDirectory: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // dmactl links the host statically and finds the Swift runtime through an absolute rpath.
        try FileManager.default.copyItem(atPath: Fixtures.buildDirectory + "/dmactl", toPath: root + "/bin/dmactl")
        try Fixtures.copySamples(into: root + "/lib/dmahost")
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil

        let list = try Fixtures.run(root + "/bin/dmactl", ["list"], environment: environment)
        #expect(list.status == 0, "\(list.output)")
        #expect(list.output.contains("\(root)/lib/dmahost/libdmahost-vendor-c.so (installed)"), "\(list.output)")
        #expect(list.output.contains("vendor-swift:1"), "\(list.output)")

        let copy = try Fixtures.run(root + "/bin/dmactl", ["copy", "--from", "vendor-c:0", "--to", "vendor-swift:1", "--size", "64K"],
                                    environment: environment)
        #expect(copy.status == 0, "\(copy.output)")
    }
}
