import Foundation
import Testing

/// `dmactl doctor` against plugins that break their host: a device whose open creates no
/// domain fails its check, and `--isolate` finds the plugin whose probe crashes or hangs
/// while the others are still checked.
@Suite("Hostile plugins: doctor")
struct DoctorIsolationTests {
    @Test("a device that opens without a domain fails doctor's device check (exit 5)")
    func openWithoutDomain() throws {
        let plugin = try HostilePlugin(["-DOPEN_NO_DOMAIN"])
        let result = try plugin.dmactl(["doctor"])
        #expect(result.status == 5, "\(result.output)")
        #expect(result.output.contains("[fail] fixture:0: opened, but its driver created no memory domain"))
        #expect(result.output.contains("1 devices that do not open"))
        let json = try plugin.dmactl(["doctor", "--format", "json"])
        #expect(json.stdout.contains("\"opens\" : false"))
    }

    @Test("doctor --isolate reports the crashing and the hanging probe with signal and step; the samples still pass")
    func isolate() throws {
        let directory = try PluginDirectory.withSamples("dmahost-isolate")
        try Fixtures.buildPlugin("crash", in: directory.path, flags: ["-DPLUGIN_NAME=\"crash\"", "-DCRASH_IN_PROBE"])
        try Fixtures.buildPlugin("hang", in: directory.path, flags: ["-DPLUGIN_NAME=\"hang\"", "-DHANG_IN_PROBE"])
        let result = try HostilePlugin.dmactl(directory: directory.path, ["doctor", "--isolate", "--isolate-timeout", "2"])
        #expect(result.status == 5, "\(result.output)")
        #expect(result.output.contains("[crashed]  \(directory.path)/libdmahost-crash.so (explicit): killed by SIGSEGV"))
        #expect(result.output.contains("during load and probe"))
        #expect(result.output.contains("[hung]     \(directory.path)/libdmahost-hang.so (explicit): no answer within 2 s during load and probe"))
        #expect(result.output.contains("[loaded]   \(directory.path)/libdmahost-vendor-c.so"))
        #expect(result.output.contains("[ok]   vendor-swift:1: 1 domain(s): vendor-swift:1"))
        #expect(result.output.contains("Summary: 2 drivers, 4 devices, 0 rejected, 1 crashed, 1 hung"))
    }

    @Test("doctor --isolate --format json gives each candidate's outcome, the signal and the step")
    func isolateJSON() throws {
        let plugin = try HostilePlugin(["-DCRASH_IN_PROBE"])
        try Fixtures.buildPlugin("good", in: plugin.directory, flags: ["-DPLUGIN_NAME=\"good\""])
        let result = try plugin.dmactl(["doctor", "--isolate", "--format", "json"])
        #expect(result.status == 5, "\(result.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let candidates = try #require(object["candidates"] as? [[String: Any]])
        #expect(candidates.compactMap { $0["outcome"] as? String } == ["crashed", "loaded"])
        #expect(candidates.first?["signal"] as? Int == Int(SIGSEGV))
        #expect(candidates.first?["stage"] as? String == "load and probe")
        #expect(object["isolated"] as? Bool == true)
    }
}
