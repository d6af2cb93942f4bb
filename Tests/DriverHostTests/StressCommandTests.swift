import Foundation
import Testing

/// `dmactl stress` end to end: the CPU backend and the vendor samples pass; devices that
/// corrupt data, complete twice or never complete make it fail with the fault named.
@Suite("dmactl stress")
struct StressCommandTests {
    /// A directory holding the vendor samples and the CPU backend, copied from the build.
    func cpuAndVendorPlugins() throws -> String {
        let directory = try PluginDirectory.withSamples("dmahost-stress")
        let cpu = Fixtures.buildDirectory + "/libdmahost-cpu.so"
        guard FileManager.default.fileExists(atPath: cpu) else { throw FixtureError("\(cpu) is missing: build the products first (swift build)") }
        try FileManager.default.copyItem(atPath: cpu, toPath: directory.path + "/libdmahost-cpu.so")
        return directory.path
    }

    func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text)")
    }

    @Test("the CPU backend and the vendor samples pass: every device verified operations of each kind it declares, exit 0")
    func cpuAndVendors() throws {
        let directory = try cpuAndVendorPlugins()
        let result = try HostilePlugin.dmactl(directory: directory, ["stress", "--seconds", "2", "--seed", "7", "--format", "json"])
        #expect(result.status == 0, "\(result.output)")
        let report = try json(result.stdout)
        #expect(report["passed"] as? Bool == true)
        let devices = try #require(report["devices"] as? [[String: Any]])
        #expect(devices.compactMap { $0["id"] as? String } == ["cpu:0", "vendor-c:0", "vendor-c:1", "vendor-swift:0", "vendor-swift:1"])
        for device in devices {
            let operations = try #require(device["operations"] as? [String: Any])
            for kind in ["push", "pull", "memzero"] {
                #expect((operations[kind] as? Int ?? 0) > 0, "\(device["id"] ?? "?") verified no \(kind)")
            }
            let unsupported = (device["unsupported_transfers"] as? [[String: Any]] ?? []).compactMap { $0["count"] as? Int }.reduce(0, +)
            #expect(device["submitted"] as? Int == (device["verified"] as? Int ?? -1) + unsupported, "every operation ended once")
            #expect(device["verify_failures"] as? Int == 0 && device["errors"] as? Int == 0)
            #expect((device["completion_faults"] as? [String: Any])?["total"] as? Int == 0)
        }
        let registry = try #require(report["registry"] as? [String: Any])
        #expect((registry["created"] as? Int ?? 0) > 0 && registry["created"] as? Int == registry["destroyed"] as? Int)
        #expect((registry["walks"] as? Int ?? 0) > 0 && registry["problem_count"] as? Int == 0)
    }

    @Test("the text report has a row per device, the registry line and the verdict; progress goes to stderr")
    func textTable() throws {
        let directory = try cpuAndVendorPlugins()
        let result = try HostilePlugin.dmactl(directory: directory, ["stress", "--seconds", "2", "--device", "vendor-c:*", "--device", "cpu:0"])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("device") && $0.contains("push") && $0.contains("memzero") && $0.contains("p99 us") })
        for id in ["cpu:0", "vendor-c:0", "vendor-c:1"] { #expect(lines.contains { $0.hasPrefix("  \(id) ") }, "no row for \(id)") }
        #expect(!result.stdout.contains("vendor-swift"))
        #expect(lines.contains { $0.hasPrefix("registry: ") })
        #expect(lines.last == "result: passed")
        #expect(result.output.contains("stress: 1 s of 2: "))
    }

    @Test("a device that corrupts the first byte it pushes fails the run (exit 1) and names the byte and the operation")
    func corruption() throws {
        let plugin = try HostilePlugin(["-DFAULTY_COPY"])
        let result = try plugin.dmactl(["stress", "--seconds", "1"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("fixture:0: "))
        #expect(result.output.contains("verify failure(s)"))
        // The fixture cannot translate: its push also writes the images, so the flipped byte
        // shows in a guard byte or in the bytes described, of a source or a destination.
        #expect(result.output.contains(" is 0x") && result.output.contains(", expected 0x"))
        #expect(result.output.contains("(seed 0x"))
        #expect(result.output.contains("repeat with --seed"))
    }

    @Test("a device that calls each completion twice fails the run (exit 1) and names the fault")
    func completedTwice() throws {
        let plugin = try HostilePlugin(["-DCOMPLETE_TWICE"])
        let result = try plugin.dmactl(["stress", "--seconds", "1", "--format", "json"])
        #expect(result.status == 1, "\(result.output)")
        let report = try json(result.stdout)
        #expect(report["passed"] as? Bool == false)
        let device = try #require((report["devices"] as? [[String: Any]])?.first)
        let faults = try #require(device["completion_faults"] as? [String: Any])
        #expect((faults["repeated"] as? Int ?? 0) > 0)
        #expect(result.output.contains("fixture:0 broke the completion contract"))
    }

    @Test("a device that never completes: the operation times out, stress names it and exits 6")
    func neverCompletes() throws {
        let plugin = try HostilePlugin(["-DNEVER_COMPLETE"])
        let result = try plugin.dmactl(["stress", "--seconds", "0.5", "--timeout", "0.3"])
        #expect(result.status == 6, "\(result.output)")
        #expect(result.output.contains("fixture:0: 2 operation(s) timed out"))
        #expect(result.output.contains("did not complete within"))
    }

    @Test("without any device, the registry is still stressed and the run passes")
    func registryOnly() throws {
        let directory = try Fixtures.temporaryDirectory("dmahost-stress-empty")
        let result = try HostilePlugin.dmactl(directory: directory, ["stress", "--seconds", "1", "--walk-threads", "2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("no device opened: only the registry is stressed"))
        #expect(result.stdout.contains("0 problem(s)"))
    }

    @Test("stress exit statuses: unknown device 3, bad option 2; --help documents them")
    func statuses() throws {
        let directory = try PluginDirectory.withSamples()
        #expect(try HostilePlugin.dmactl(directory: directory.path, ["stress", "--seconds", "1", "--device", "nosuch:0"]).status == 3)
        #expect(try HostilePlugin.dmactl(directory: directory.path, ["stress", "--jobs", "0"]).status == 2)
        let help = try Fixtures.run(DMACtlTests.dmactl, ["stress", "--help"]).output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("--seconds <seconds>") && help.contains("--max-size <size>") && help.contains("(default: 1MiB, at most 1GiB)"))
        #expect(help.contains("Exit status: 0 every operation verified"))
        #expect(help.contains("6 an operation did not complete within --timeout"))
    }
}
