import DMAHost
@testable import DriverHost
import Foundation
import SystemPackage
import Testing

/// The ownership and permission rule: a plugin, the directory holding it and every directory
/// above must be owned by root or the effective user and not writable by group or others.
@Suite("Plugin trust rule")
struct PluginTrustTests {
    /// Loads `paths` in a host with `execution` and returns the host and the outcomes.
    func load(_ paths: [String], _ execution: ExecutionContext = Fixtures.execution()) -> (DriverHost, [LoadOutcome]) {
        let host = DriverHost(execution: execution)
        return (host, host.load(paths: paths))
    }

    @Test("A plugin file writable by its group or by others is rejected with the chmod that fixes it",
          arguments: [(0o775 as mode_t, "its group (mode 0775)"), (0o757, "others (mode 0757)"), (0o666, "group and others (mode 0666)")])
    func writableFile(_ mode: mode_t, _ who: String) async throws {
        let directory = try PluginDirectory.withSamples()
        let plugin = try Fixtures.buildPlugin("fixture", in: directory.path)
        try Fixtures.setMode(plugin, mode)
        let (host, outcomes) = load([directory.path])
        let rejection = try #require(outcomes.rejections.first)
        #expect(outcomes.rejections.count == 1)
        #expect(rejection.candidate.path == plugin)
        #expect(rejection.kind == .untrusted)
        #expect(rejection.reason.contains("the plugin \(plugin) is writable by \(who)"), "\(rejection.reason)")
        #expect(rejection.reason.contains("chmod go-w \(plugin)"))
        #expect(rejection.reason.contains("DMAHOST_ALLOW_INSECURE_PLUGINS=1 loads it anyway"))
        #expect(outcomes.loadedNames == ["vendor-c", "vendor-swift"])
        try await expectServes(host, "vendor-c:0")
    }

    @Test("Every plugin of a directory writable by group or others is rejected, naming the directory",
          arguments: [0o777 as mode_t, 0o770, 0o1777])
    func writableDirectory(_ mode: mode_t) throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.setMode(directory.path, mode)
        let (host, outcomes) = load([directory.path])
        #expect(outcomes.rejections.map(\.kind) == [.untrusted, .untrusted])
        for rejection in outcomes.rejections {
            #expect(rejection.reason.contains("the directory \(directory.path) is writable by"), "\(rejection.reason)")
            #expect(rejection.reason.contains("chmod go-w \(directory.path)"))
        }
        #expect(host.drivers.isEmpty)
        // The fix the reason names is enough.
        try Fixtures.setMode(directory.path, 0o755)
        #expect(DriverHost().load(paths: [directory.path]).loadedNames == ["vendor-c", "vendor-swift"])
    }

    @Test("A directory higher up must not be writable by others either, unless it is sticky like /tmp")
    func ancestors() async throws {
        let top = try Fixtures.temporaryDirectory()
        let plugins = top + "/plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: false)
        try Fixtures.setMode(plugins, 0o755)
        try Fixtures.copySamples(into: plugins)

        try Fixtures.setMode(top, 0o777)
        let (_, open) = load([plugins])
        #expect(open.rejections.map(\.kind) == [.untrusted, .untrusted])
        #expect(open.rejections.first?.reason.contains("the directory \(top) is writable by group and others (mode 0777)") == true,
                "\(open.rejections)")
        #expect(open.rejections.first?.reason.contains("chmod go-w \(top)") == true)

        try Fixtures.setMode(top, 0o1777)
        let (host, sticky) = load([plugins])
        #expect(sticky.loadedNames == ["vendor-c", "vendor-swift"], "\(sticky.rejections)")
        try await expectServes(host, "vendor-swift:0")
    }

    @Test("A plugin owned by another user is rejected with the chown that fixes it")
    func otherOwner() throws {
        let directory = try PluginDirectory.withSamples()
        let plugin = directory.path + "/libdmahost-vendor-c.so"
        // As root, really give the file away; otherwise load as if the effective user were another.
        var execution = Fixtures.execution()
        let owner: UInt32
        if getuid() == 0 {
            try Fixtures.setOwner(plugin, user: 65534, group: 65534)
            owner = 65534
        } else {
            owner = geteuid()
            execution.effectiveUserID = geteuid() == 65534 ? 65533 : 65534
        }
        let (_, outcomes) = load([directory.path], execution)
        let rejections = outcomes.rejections.filter { $0.candidate.path == plugin }
        let rejection = try #require(rejections.first, "\(outcomes)")
        #expect(rejection.kind == .untrusted)
        #expect(rejection.reason.contains("the plugin \(plugin) is owned by uid \(owner), neither root nor the user loading plugins"),
                "\(rejection.reason)")
        #expect(rejection.reason.contains("chown root \(plugin)"))
    }

    @Test("The installed-plugins directory follows the same rule")
    func installedDirectory() throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.setMode(directory.path, 0o777)
        let host = DriverHost(execution: Fixtures.execution())
        let outcomes = host.load(DriverSearch(explicit: [], installedDirectories: [directory.path]))
        #expect(outcomes.rejections.map(\.kind) == [.untrusted, .untrusted])
        #expect(outcomes.rejections.allSatisfy { $0.candidate.source == .installed })
    }

    @Test("DMAHOST_ALLOW_INSECURE_PLUGINS=1 loads a plugin that fails the rule and keeps the waived problems")
    func override() async throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.setMode(directory.path, 0o777)
        let (host, outcomes) = load([directory.path], Fixtures.execution(environment: ["DMAHOST_ALLOW_INSECURE_PLUGINS": "1"]))
        #expect(outcomes.loadedNames == ["vendor-c", "vendor-swift"], "\(outcomes.rejections)")
        let driver = try #require(host.driver(named: "vendor-c"))
        #expect(driver.waivedTrustProblems.count == 1)
        #expect(driver.waivedTrustProblems.first?.contains("chmod go-w \(directory.path)") == true)
        try await expectServes(host, "vendor-c:1")

        // Any other value is not the override.
        let (_, other) = load([directory.path], Fixtures.execution(environment: ["DMAHOST_ALLOW_INSECURE_PLUGINS": "yes"]))
        #expect(other.rejections.map(\.kind) == [.untrusted, .untrusted])
    }

    @Test("In secure-execution mode the override is not honoured, and the reason says so")
    func overrideIgnoredInSecureMode() throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.setMode(directory.path, 0o777)
        // A real user of root may name paths in secure mode; the rule still applies.
        let execution = Fixtures.secureExecution(realUser: 0, environment: ["DMAHOST_ALLOW_INSECURE_PLUGINS": "1"])
        #expect(execution.isSecure && !execution.allowsInsecurePlugins)
        let (host, outcomes) = load([directory.path], execution)
        #expect(outcomes.rejections.map(\.kind) == [.untrusted, .untrusted])
        #expect(outcomes.rejections.first?.reason.contains("DMAHOST_ALLOW_INSECURE_PLUGINS is not honoured in a secure-execution process") == true)
        #expect(host.drivers.isEmpty)
    }

    @Test("The rule itself: owners, group and other write bits, the sticky exception for directories above")
    func rule() throws {
        let trust = PluginTrust(ExecutionContext(realUserID: 1000, effectiveUserID: 1000))
        let file = try Fixtures.temporaryDirectory() + "/f"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        func problem(_ mode: mode_t, _ role: PluginTrust.Role) throws -> String? {
            try Fixtures.setMode(file, mode)
            let status = try FilePath(file).stat()
            var owned = status
            owned.userID = UserID(rawValue: 1000)
            return trust.problem(file, owned, role)
        }
        #expect(try problem(0o755, .plugin) == nil)
        #expect(try problem(0o644, .plugin) == nil)
        #expect(try problem(0o775, .plugin) != nil)
        #expect(try problem(0o1777, .ancestor) == nil)
        #expect(try problem(0o1777, .holdingDirectory) != nil)
        #expect(try problem(0o777, .ancestor) != nil)
        var foreign = try FilePath(file).stat()
        try Fixtures.setMode(file, 0o755)
        foreign = try FilePath(file).stat()
        foreign.userID = UserID(rawValue: 1001)
        #expect(trust.problem(file, foreign, .plugin)?.contains("chown root \(file) (or chown 1000 \(file))") == true)
        foreign.userID = UserID(rawValue: 0)
        #expect(trust.problem(file, foreign, .plugin) == nil, "root may own plugins")
    }
}
