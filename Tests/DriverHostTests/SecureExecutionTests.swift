import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// Secure-execution mode driven through ``ExecutionContext``: the environment is ignored and
/// caller-chosen paths are refused unless the real user is root. (The set-user-ID process
/// itself is in SetUserIDTests.)
@Suite("Secure execution")
struct SecureExecutionTests {
    @Test("Secure when the kernel says so or when real and effective user or group ids differ")
    func decision() {
        let plain = ExecutionContext(realUserID: 1000, effectiveUserID: 1000, realGroupID: 100, effectiveGroupID: 100,
                                     environment: ["DMAHOST_DRIVER_PATH": "/opt/plugins"])
        #expect(!plain.isSecure && plain.mayChoosePluginPaths && plain.pluginPathRefusal == nil)
        #expect(plain.value(of: "DMAHOST_DRIVER_PATH") == "/opt/plugins" && plain.ignoredVariables.isEmpty)
        #expect(plain.trustedOwners == [0, 1000])

        var setuid = plain
        setuid.effectiveUserID = 0
        #expect(setuid.isSecure && setuid.secureExecutionReason == "it runs set-user-ID (real uid 1000, effective uid 0)")
        #expect(setuid.value(of: "DMAHOST_DRIVER_PATH") == nil && setuid.ignoredVariables == ["DMAHOST_DRIVER_PATH"])
        #expect(!setuid.mayChoosePluginPaths)
        #expect(setuid.pluginPathRefusal?.contains("only a real user of root may choose the code it loads") == true)

        var setgid = plain
        setgid.effectiveGroupID = 0
        #expect(setgid.isSecure && setgid.secureExecutionReason.hasPrefix("it runs set-group-ID"))

        var capabilities = plain
        capabilities.kernelSecureExecution = true
        #expect(capabilities.isSecure && capabilities.secureExecutionReason.contains("AT_SECURE"))

        var root = setgid
        root.realUserID = 0
        root.effectiveUserID = 0
        #expect(root.isSecure && root.mayChoosePluginPaths, "a real user of root may choose paths")
    }

    @Test("The test process itself is not in secure-execution mode")
    func current() {
        let context = ExecutionContext.current()
        #expect(!context.isSecure)
        #expect(context.realUserID == getuid() && context.effectiveUserID == geteuid())
    }

    @Test("In secure-execution mode DMAHOST_DRIVER_PATH is ignored and the rejection says why")
    func environmentIgnored() throws {
        let planted = try Fixtures.temporaryDirectory("dmahost-planted")
        let marker = planted + "/mapped"
        try Fixtures.buildPlugin("planted", in: planted, flags: ["-DPLUGIN_NAME=\"planted\"", "-DLOAD_MARKER=\"\(marker)\""])
        let execution = Fixtures.secureExecution(environment: ["DMAHOST_DRIVER_PATH": planted])

        let standard = DriverSearch.standard(execution: execution)
        #expect(standard.environmentPath == nil)
        #expect(standard.ignoredEnvironmentPath == planted)

        // Only the environment part of the standard search (the installed directory is the build's).
        let host = DriverHost(execution: execution)
        let outcomes = host.load(DriverSearch(explicit: [], ignoredEnvironmentPath: planted))
        #expect(outcomes.loadedNames.isEmpty)
        let rejection = try #require(outcomes.rejections.first)
        #expect(rejection.kind == .refused && rejection.candidate.path == planted && rejection.candidate.source == .environment)
        #expect(rejection.reason.contains("DMAHOST_DRIVER_PATH is ignored: this process runs with privileges its user does not have"))
        #expect(rejection.reason.contains("(it runs set-user-ID (real uid \(execution.realUserID), effective uid \(execution.effectiveUserID)))"),
                "\(rejection.reason)")
        // A search that carries the value anyway is refused the same way.
        #expect(DriverHost(execution: execution).load(DriverSearch(explicit: [], environmentPath: planted)).rejections.map(\.kind) == [.refused])
        #expect(!FileManager.default.fileExists(atPath: marker), "the planted plugin was mapped")

        // The same search in an ordinary process loads it.
        let ordinary = DriverHost(execution: Fixtures.execution())
        #expect(ordinary.load(DriverSearch(explicit: [], environmentPath: planted)).loadedNames == ["planted"])
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test("In secure-execution mode a caller who is not root cannot name plugin paths")
    func explicitPathsRefused() throws {
        let directory = try PluginDirectory.withSamples()
        let execution = Fixtures.secureExecution()
        let host = DriverHost(execution: execution)
        let outcomes = host.load(paths: [directory.path])
        #expect(outcomes.loadedNames.isEmpty && host.drivers.isEmpty)
        let rejection = try #require(outcomes.rejections.first)
        #expect(outcomes.rejections.count == 1)
        #expect(rejection.kind == .refused && rejection.candidate.path == directory.path && rejection.candidate.source == .explicit)
        #expect(rejection.reason.contains("plugin paths chosen by the caller are refused"))
        #expect(rejection.reason.contains("only a real user of root may choose the code it loads"))
        #expect(host.load(paths: [directory.path]).isEmpty, "reported once")
    }

    @Test("In secure-execution mode a real user of root may still name plugin paths")
    func rootMayChoose() async throws {
        let directory = try PluginDirectory.withSamples()
        let host = DriverHost(execution: Fixtures.secureExecution(realUser: 0))
        #expect(host.load(paths: [directory.path]).loadedNames == ["vendor-c", "vendor-swift"])
        try await expectServes(host, "vendor-c:0")
    }
}
