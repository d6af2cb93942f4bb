import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// One plugin file reached by several paths: its entry runs once per host, every other path is
/// reported as a duplicate naming both paths, and the loaded driver keeps working.
@Suite("Same plugin file reached twice")
struct SameFileTests {
    /// A host that loaded both samples from a fresh directory.
    func loadedSamples() throws -> (DriverHost, PluginDirectory) {
        let directory = try PluginDirectory.withSamples()
        let host = DriverHost()
        let outcomes = host.load(paths: [directory.path])
        try #require(outcomes.loadedNames == ["vendor-c", "vendor-swift"], "\(outcomes.rejections)")
        return (host, directory)
    }

    /// Expects exactly one duplicateFile rejection for `path`, naming `first`, and both samples serving.
    func expectDuplicate(_ outcomes: [LoadOutcome], _ host: DriverHost, path: String, first: String, driver: String,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(outcomes.count == 1, "\(outcomes)", sourceLocation: sourceLocation)
        let rejection = try #require(outcomes.rejections.first, sourceLocation: sourceLocation)
        #expect(rejection.kind == .duplicateFile, "\(rejection)", sourceLocation: sourceLocation)
        #expect(rejection.candidate.path == path, sourceLocation: sourceLocation)
        #expect(rejection.reason.contains(path), "reason: \(rejection.reason)", sourceLocation: sourceLocation)
        #expect(rejection.reason.contains("as \(first), which this host loaded as driver '\(driver)'"),
                "reason: \(rejection.reason)", sourceLocation: sourceLocation)
        #expect(host.drivers.map(\.name) == ["vendor-c", "vendor-swift"], sourceLocation: sourceLocation)
        #expect(host.driver(named: driver)?.path == first, sourceLocation: sourceLocation)
        // The live driver was neither re-entered nor finalised: it still opens and moves data.
        try await expectServes(host, "\(driver):0", sourceLocation: sourceLocation)
        try await expectServes(host, "\(driver):1", sourceLocation: sourceLocation)
    }

    @Test("A hard link to a loaded plugin is a duplicate of it", arguments: ["vendor-c", "vendor-swift"])
    func hardLink(_ driver: String) async throws {
        let (host, directory) = try loadedSamples()
        let original = directory.path + "/libdmahost-\(driver).so"
        let link = try Fixtures.temporaryDirectory() + "/libdmahost-linked.so"
        try FileManager.default.linkItem(atPath: original, toPath: link)
        try await expectDuplicate(host.load(paths: [link]), host, path: link, first: original, driver: driver)
    }

    @Test("A hard link to a plugin that keeps one static table: the live driver is neither entered again nor finalised")
    func hardLinkToStaticTable() async throws {
        let directory = try Fixtures.temporaryDirectory()
        let original = try Fixtures.buildPlugin("fixture", in: directory, flags: ["-DCOPY_CALLBACKS"])
        let host = DriverHost()
        #expect(host.load(paths: [original]).loadedNames == ["fixture"])
        let link = try Fixtures.temporaryDirectory() + "/libdmahost-fixture.so"
        try FileManager.default.linkItem(atPath: original, toPath: link)
        let outcomes = host.load(paths: [link])
        #expect(outcomes.rejections.map(\.kind) == [.duplicateFile])
        #expect(outcomes.rejections.first?.reason.contains("as \(original), which this host loaded as driver 'fixture'") == true)
        // A second entry call would have pointed the plugin at the rejected candidate's host table,
        // and its fini would have stopped the live driver (pushes failing with -ESHUTDOWN).
        try await expectServes(host, "fixture:0")
    }

    @Test("A symbolic link to a loaded plugin is a duplicate of it; the reason shows where it leads")
    func symbolicLink() async throws {
        let (host, directory) = try loadedSamples()
        let original = directory.path + "/libdmahost-vendor-c.so"
        let link = try Fixtures.temporaryDirectory() + "/libdmahost-pointer.so"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: original)
        let outcomes = host.load(paths: [link])
        try await expectDuplicate(outcomes, host, path: link, first: original, driver: "vendor-c")
        #expect(outcomes.rejections.first?.candidate.realPath == original)
        #expect(outcomes.rejections.first?.reason.contains("\(link) (\(original))") == true)
    }

    @Test("The same directory reached through a symbolic link is a duplicate of each plugin in it")
    func secondDirectory() async throws {
        let (host, directory) = try loadedSamples()
        let alias = try Fixtures.temporaryDirectory() + "/plugins"
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: directory.path)
        let outcomes = host.load(paths: [alias])
        #expect(outcomes.rejections.map(\.kind) == [.duplicateFile, .duplicateFile])
        #expect(outcomes.rejections.map(\.candidate.path) == [alias + "/libdmahost-vendor-c.so", alias + "/libdmahost-vendor-swift.so"])
        try await expectServes(host, "vendor-c:0")
        try await expectServes(host, "vendor-swift:1")
    }

    @Test("A plugin and a hard link to it in one directory: the first in file order loads, the other is its duplicate")
    func linkInSameSearch() async throws {
        let directory = try Fixtures.temporaryDirectory()
        try Fixtures.copySamples(into: directory)
        // "libdmahost-a-…" sorts before "libdmahost-vendor-c.so".
        let link = directory + "/libdmahost-a-copy.so"
        try FileManager.default.linkItem(atPath: directory + "/libdmahost-vendor-c.so", toPath: link)
        let host = DriverHost()
        let outcomes = host.load(paths: [directory])
        #expect(outcomes.loadedNames == ["vendor-c", "vendor-swift"])
        #expect(outcomes.rejections.map(\.kind) == [.duplicateFile])
        #expect(outcomes.rejections.first?.candidate.path == directory + "/libdmahost-vendor-c.so")
        #expect(host.driver(named: "vendor-c")?.path == link, "the driver reports the path it was loaded from")
        try await expectServes(host, "vendor-c:1")
    }

    @Test("The same path twice is one candidate, and loading it again is a no-op, not a duplicate")
    func samePathTwice() async throws {
        let directory = try PluginDirectory.withSamples()
        let file = directory.path + "/libdmahost-vendor-c.so"
        let host = DriverHost()
        #expect(host.load(paths: [file, file, directory.path + "/./libdmahost-vendor-c.so"]).loadedNames == ["vendor-c"])
        #expect(host.load(paths: [file]).isEmpty)
        #expect(host.rejections.isEmpty)
        try await expectServes(host, "vendor-c:0")
    }

    @Test("A file rejected once is a duplicate through its other paths, with the first verdict")
    func rejectedFileLinked() throws {
        let directory = try Fixtures.temporaryDirectory()
        let text = directory + "/libdmahost-notes.so"
        try "not a plugin\n".write(toFile: text, atomically: true, encoding: .utf8)
        let link = directory + "/libdmahost-other-notes.so"
        try FileManager.default.linkItem(atPath: text, toPath: link)
        let outcomes = DriverHost().load(paths: [directory])
        #expect(outcomes.rejections.map(\.kind) == [.notSharedObject, .duplicateFile])
        #expect(outcomes.rejections.last?.reason.contains("as \(text), which this host rejected (notSharedObject)") == true)
    }

    @Test("A plugin whose entry symbol comes from a plugin it links is not loaded, and that entry does not run again")
    func entryFromDependency() async throws {
        let libraries = try Fixtures.temporaryDirectory()
        let alpha = try Fixtures.buildPlugin("alpha", in: libraries, flags: ["-DPLUGIN_NAME=\"alpha\""])
        let directory = try Fixtures.temporaryDirectory()
        // --no-as-needed: the borrower uses nothing of alpha, and the linker would drop the dependency.
        let borrower = try Fixtures.buildPlugin("borrower", in: directory, flags: ["-DNO_ENTRY"],
                                                extra: ["-L", libraries, "-Wl,--no-as-needed", "-l:libdmahost-alpha.so", "-Wl,-rpath," + libraries])

        // The library alone: its entry is not its own.
        let fresh = DriverHost()
        let alone = try #require(fresh.load(paths: [borrower]).rejections.first)
        #expect(alone.kind == .missingEntry)
        #expect(alone.reason.contains("does not define dmahost_driver_entry itself"), "\(alone.reason)")
        #expect(alone.reason.contains(alpha), "names the library that defines it: \(alone.reason)")

        // After alpha itself: the borrowed entry is alpha's, which this host already called.
        let host = DriverHost()
        #expect(host.load(paths: [alpha]).loadedNames == ["alpha"])
        let again = try #require(host.load(paths: [borrower]).rejections.first)
        #expect(again.kind == .duplicateFile)
        #expect(again.reason.contains("which this host already loaded from \(alpha)"), "\(again.reason)")
        #expect(host.drivers.map(\.name) == ["alpha"])
        let domains = try host.open(deviceID: "alpha:0")
        #expect(domains.map(\.id) == ["alpha:0"], "alpha's state is intact")
        try host.close(deviceID: "alpha:0")
    }
}
