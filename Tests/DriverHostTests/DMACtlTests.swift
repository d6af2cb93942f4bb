import Foundation
import Testing

/// Runs the built dmactl against plugin directories outside the build tree.
@Suite("dmactl")
struct DMACtlTests {
    static var dmactl: String { Fixtures.buildDirectory + "/dmactl" }

    /// Runs dmactl with only `directory`'s plugins.
    func dmactl(_ directory: String?, _ arguments: [String]) throws -> (status: Int32, output: String, stdout: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        let plugins = directory.map { ["--driver-dir", $0] } ?? []
        return try Fixtures.run(Self.dmactl, arguments + ["--no-default-drivers"] + plugins, environment: environment)
    }

    func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text)")
    }

    @Test("list shows drivers, devices, the system domain and the devices' domains")
    func listText() throws {
        let directory = try PluginDirectory.withSamples()
        let result = try dmactl(directory.path, ["list"])
        #expect(result.status == 0, "\(result.output)")
        let output = result.output
        #expect(output.contains("Drivers (2 loaded, 0 rejected)"))
        #expect(output.contains("vendor-c  ") && output.contains(directory.path + "/libdmahost-vendor-c.so (explicit)"))
        #expect(output.contains("Devices (4)"))
        #expect(output.contains("vendor-swift:1  VENDOR(1000)  copy,fill,sg,translate-identity,transfer"))
        #expect(output.contains("Domains (5)"))
        #expect(output.contains("  system  ") && output.contains("system memory"))
        #expect(output.contains("device vendor-c:1"))
    }

    @Test("list --format json is one versioned object with snake_case keys; --timing adds per-plugin load and probe times")
    func listJSON() throws {
        let directory = try PluginDirectory.withSamples()
        let result = try dmactl(directory.path, ["--format", "json", "list", "--timing"])
        #expect(result.status == 0, "\(result.output)")
        let object = try json(result.stdout)
        #expect(object["schema_version"] as? Int == 1 && object["command"] as? String == "list")
        let drivers = try #require(object["drivers"] as? [[String: Any]])
        #expect(drivers.compactMap { $0["name"] as? String } == ["vendor-c", "vendor-swift"])
        let devices = try #require(object["devices"] as? [[String: Any]])
        #expect(devices.compactMap { $0["id"] as? String } == ["vendor-c:0", "vendor-c:1", "vendor-swift:0", "vendor-swift:1"])
        #expect(devices.first?["type"] as? Int == 1001 && devices.first?["type_name"] != nil)
        #expect(devices.first.map { $0.keys.contains("max_transfer_bytes") && $0["open_error"] is NSNull } == true)
        let domains = try #require(object["domains"] as? [[String: Any]])
        #expect(domains.first?["id"] as? String == "system" && domains.first?["system"] as? Bool == true)
        #expect(domains.count == 5)
        let timing = try #require(object["timing"] as? [String: Any])
        let perDriver = try #require(timing["drivers"] as? [[String: Any]])
        #expect(perDriver.count == 2 && perDriver.allSatisfy { ($0["load_microseconds"] as? Int).map { $0 >= 0 } == true })
        #expect(timing["total_microseconds"] is Int)
    }

    @Test("list takes a selection and --caps: only those devices and their domains")
    func listSelection() throws {
        let directory = try PluginDirectory.withSamples()
        let selected = try json(try dmactl(directory.path, ["list", "vendor-c:*,^vendor-c:1", "--format", "json"]).stdout)
        #expect((selected["devices"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["vendor-c:0"])
        #expect((selected["domains"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["vendor-c:0"])
        let withSystem = try dmactl(directory.path, ["list", "system,vendor-swift:1"])
        #expect(withSystem.status == 0 && withSystem.output.contains("Devices (1)") && withSystem.output.contains("Domains (2)"), "\(withSystem.output)")
        let capable = try dmactl(directory.path, ["list", "--caps", "pull,memzero,transfer", "--no-open"])
        #expect(capable.status == 0 && capable.output.contains("Devices (4)"), "\(capable.output)")
        let none = try dmactl(directory.path, ["list", "--caps", "translate-rdma", "--no-open"])
        #expect(none.status == 0 && none.output.contains("Devices (0)"), "\(none.output)")
        let unknown = try dmactl(directory.path, ["list", "--caps", "teleport"])
        #expect(unknown.status == 2 && unknown.output.contains("unknown capability 'teleport'"), "\(unknown.output)")
        #expect(try dmactl(directory.path, ["list", "nothing:9"]).status == 3)
    }

    @Test("info shows every capability, the limits, the domains and the driver's lines about the device")
    func info() throws {
        let directory = try PluginDirectory.withSamples()
        let text = try dmactl(directory.path, ["info", "vendor-c:1"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("device vendor-c:1") && text.output.contains("translate-rdma") && text.output.contains("max transfer"))
        let object = try json(try dmactl(directory.path, ["info", "vendor-swift:0", "--format", "json"]).stdout)
        #expect(object["command"] as? String == "info")
        let capabilities = try #require(object["capabilities"] as? [[String: Any]])
        #expect(capabilities.count == 8 && capabilities.contains { $0["name"] as? String == "copy" && $0["present"] as? Bool == true })
        #expect((object["domains"] as? [[String: Any]])?.first?["id"] as? String == "vendor-swift:0")
        #expect(try dmactl(directory.path, ["info", "vendor-c:"]).status == 2)
    }

    @Test("env lists the host's variables and those each plugin declares, with value and default")
    func env() throws {
        let directory = try PluginDirectory.withSamples()
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        environment["DMAHOST_VENDOR_C_DEVICES"] = "1"
        let result = try Fixtures.run(Self.dmactl, ["env", "--format", "json", "--no-default-drivers", "--driver-dir", directory.path],
                                      environment: environment)
        #expect(result.status == 0, "\(result.output)")
        let variables = try #require(try json(result.stdout)["variables"] as? [[String: Any]])
        let names = variables.compactMap { $0["name"] as? String }
        #expect(names.starts(with: ["DMAHOST_DRIVER_PATH", "DMAHOST_ALLOW_INSECURE_PLUGINS"]))
        let vendor = try #require(variables.first { $0["name"] as? String == "DMAHOST_VENDOR_C_DEVICES" })
        #expect(vendor["driver"] as? String == "vendor-c" && vendor["value"] as? String == "1" && vendor["default_value"] as? String == "2")
        let list = try Fixtures.run(Self.dmactl, ["list", "--no-default-drivers", "--driver-dir", directory.path], environment: environment)
        #expect(list.output.contains("Devices (3)"), "DMAHOST_VENDOR_C_DEVICES=1 leaves one vendor-c device: \(list.output)")
    }

    @Test("--version names dmactl, the library and the plugin ABI, in text and JSON")
    func version() throws {
        let text = try Fixtures.run(Self.dmactl, ["--version"])
        #expect(text.status == 0 && text.stdout.hasPrefix("dmactl 1.1.0 (library 1.1.0, plugin ABI 1.3"), "\(text.output)")
        let object = try json(try Fixtures.run(Self.dmactl, ["--version", "--format", "json"]).stdout)
        #expect(object["command"] as? String == "version" && object["library_version"] as? String == "1.1.0")
        #expect((object["driver_abi"] as? [String: Any])?["minor"] as? Int == 3)
    }

    @Test("with --format json every error is a JSON object on stdout with the text mode's exit status", arguments: [
        (["copy", "--from", "system", "--to", "vendor-c:7", "--size", "1K"], Int32(3)),
        (["copy", "--from", "system", "--to", "vendor-c:0", "--size", "4KB"], Int32(2)),
        (["bench", "--qd", "0"], Int32(2)),
        (["list", "--bogus"], Int32(2)),
    ])
    func jsonErrors(_ arguments: [String], _ status: Int32) throws {
        let directory = try PluginDirectory.withSamples().path
        let text = try dmactl(directory, arguments)
        let result = try dmactl(directory, arguments + ["--format", "json"])
        #expect(text.status == status && result.status == status, "\(result.output)")
        let object = try json(result.stdout)
        #expect(object["schema_version"] as? Int == 1 && object["command"] as? String == arguments[0])
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["exit_status"] as? Int == Int(status) && !(error["message"] as? String ?? "").isEmpty)
    }

    @Test("copy and bench take a domain id as list prints it")
    func domainIDs() throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DCOPY_CALLBACKS", "-DDOMAIN_ID=\"fixture:alias\""])
        let result = try dmactl(directory.path, ["copy", "--from", "system", "--to", "fixture:alias", "--size", "1.5K", "--format", "json"])
        #expect(result.status == 0, "\(result.output)")
        let object = try json(result.stdout)
        #expect(object["size_bytes"] as? Int == 1536)
        let to = try #require(object["to"] as? [String: Any])
        #expect(to["device"] as? String == "fixture:0" && to["domain"] as? String == "fixture:alias")
        let bench = try dmactl(directory.path, ["bench", "--device", "fixture:alias", "--size", "4K", "--qd", "2", "--seconds", "0.05",
                                                "--hot", "--format", "json"])
        #expect(bench.status == 0, "\(bench.output)")
        #expect(try json(bench.stdout)["device"] as? String == "fixture:0")
        #expect(try dmactl(directory.path, ["copy", "--from", "system", "--to", "fixture:nothing", "--size", "1K"]).status == 3)
    }

    @Test("list --timing in text names each plugin")
    func listTiming() throws {
        let result = try dmactl(try PluginDirectory.withSamples().path, ["list", "--timing", "--no-open"])
        #expect(result.status == 0)
        #expect(result.output.contains("Timing ("))
        #expect(result.output.contains("vendor-c      load ") || result.output.contains("vendor-c  load "))
        #expect(result.output.contains("all plugins"))
    }

    @Test("no driver loaded: exit status 4")
    func noDrivers() throws {
        let result = try dmactl(nil, ["list"])
        #expect(result.status == 4, "\(result.output)")
        #expect(result.output.contains("Domains (1)"))
    }

    @Test("doctor explains a rejected plugin and exits 5; a clean setup exits 0")
    func doctor() throws {
        let directory = try PluginDirectory.withSamples()
        let clean = try dmactl(directory.path, ["doctor"])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("[ok]   vendor-c:0: 1 domain(s): vendor-c:0"))
        #expect(clean.output.contains("[ok] engine: software copy engine"))

        try Fixtures.buildPlugin("future", in: directory.path, flags: ["-DABI_MAJOR=2", "-DPLUGIN_NAME=\"future\""])
        let result = try dmactl(directory.path, ["doctor"])
        #expect(result.status == 5, "\(result.output)")
        #expect(result.output.contains("[rejected] \(directory.path)/libdmahost-future.so (explicit): abiMismatch: plugin was built for driver ABI 2.3"))
        #expect(result.output.contains("[loaded]   \(directory.path)/libdmahost-vendor-swift.so"))

        let json = try self.json(try dmactl(directory.path, ["doctor", "--format", "json"]).stdout)
        #expect((json["error"] as? [String: Any])?["exit_status"] as? Int == 5)
        let candidates = try #require(json["candidates"] as? [[String: Any]])
        #expect(candidates.compactMap { $0["loaded"] as? Bool } == [false, true, true])
        #expect(candidates.first?["kind"] as? String == "abiMismatch")
    }

    @Test("copy moves data in every direction and verifies it", arguments: [
        ("system", "vendor-c:0", "push"), ("vendor-swift:0", "system", "pull"),
        ("vendor-c:0", "vendor-swift:1", "transfer"), ("vendor-swift:1", "vendor-c:1", "transfer"),
        ("vendor-c:0", "fixture:0", "pull+push (bounce buffer)"), ("fixture:0", "vendor-swift:0", "pull+push (bounce buffer)"),
    ])
    func copy(_ from: String, _ to: String, _ method: String) throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DCOPY_CALLBACKS"])
        let result = try dmactl(directory.path, ["copy", "--from", from, "--to", to, "--size", "192K", "--segments", "5", "--format", "json"])
        #expect(result.status == 0, "\(result.output)")
        let object = try json(result.stdout)
        #expect(object["method"] as? String == method)
        #expect(object["verified"] as? Bool == true)
        #expect(object["size_bytes"] as? Int == 192 * 1024)
    }

    @Test("copy through a device that corrupts data exits 1 and names the byte")
    func copyMismatch() throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DFAULTY_COPY"])
        let result = try dmactl(directory.path, ["copy", "--from", "system", "--to", "fixture:0", "--size", "4096", "--seed", "1"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("MISMATCH at byte 0"))
        #expect(result.output.contains("repeat with --seed 1"))
    }

    @Test("bench keeps more operations in flight than a vendor device queues: -EAGAIN is retried, nothing is lost",
          arguments: ["callback", "thread"])
    func benchBackPressure(resubmit: String) throws {
        let directory = try PluginDirectory.withSamples()
        // vendor-c queues at most 64 requests (VS_ENGINE_QUEUE_DEPTH). Requests of 1 MiB keep
        // its worker busy for longer than the first 128 submissions take, also when the
        // submitting side is slowed down (sanitizer builds): with 4 KiB the worker kept up there.
        let result = try dmactl(directory.path, ["bench", "--device", "vendor-c:0", "--size", "1MiB", "--qd", "128", "--hot",
                                                 "--seconds", "0.2", "--resubmit", resubmit, "--format", "json"])
        #expect(result.status == 0, "\(result.output)")
        let report = try json(result.stdout)
        #expect(report["backend"] as? String == "vendor-c")
        #expect(report["resubmit"] as? String == resubmit)
        #expect(report["verified"] as? Bool == true)
        #expect((report["operations"] as? Int ?? 0) > 0)
        #expect((report["eagain_retries"] as? Int ?? 0) > 0, "128 in flight on a 64-entry queue must meet -EAGAIN")
    }

    @Test("bench through a device that completes inside the submitting call: resubmission does not recurse without bound",
          arguments: ["callback", "thread"])
    func benchSynchronousDevice(resubmit: String) throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DCOPY_CALLBACKS"])
        let result = try dmactl(directory.path, ["bench", "--device", "fixture:0", "--size", "64B", "--qd", "4", "--hot",
                                                 "--seconds", "0.2", "--resubmit", resubmit, "--format", "json"])
        #expect(result.status == 0, "\(result.output)")
        let report = try json(result.stdout)
        #expect(report["verified"] as? Bool == true)
        #expect((report["operations"] as? Int ?? 0) > 0)
    }

    @Test("bench through a device that corrupts data exits 1", arguments: ["callback", "thread"])
    func benchMismatch(resubmit: String) throws {
        let directory = try PluginDirectory.withSamples()
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DFAULTY_COPY"])
        let result = try dmactl(directory.path, ["bench", "--device", "fixture:0", "--size", "4KiB", "--qd", "4",
                                                 "--seconds", "0.1", "--resubmit", resubmit])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("do not match"))
    }

    @Test("copy exit statuses: unknown device 3, several devices 2, missing option 2")
    func copyErrors() throws {
        let directory = try PluginDirectory.withSamples().path
        let unknown = try dmactl(directory, ["copy", "--from", "vendor-c:7", "--to", "system", "--size", "1K"])
        #expect(unknown.status == 3)
        #expect(unknown.output.contains("did you mean 'vendor-c:0', 'vendor-c:1'?"))
        let several = try dmactl(directory, ["copy", "--from", "vendor-c:", "--to", "system", "--size", "1K"])
        #expect(several.status == 2)
        #expect(several.output.contains("selects 2 devices"))
        #expect(try dmactl(directory, ["copy", "--from", "system", "--size", "1K"]).status == 2)
        #expect(try dmactl(directory, ["copy", "--from", "system", "--to", "vendor-c:0", "--size", "0"]).status == 2)
        let ambiguous = try dmactl(directory, ["copy", "--from", "system", "--to", "vendor-c:0", "--size", "4KB"])
        #expect(ambiguous.status == 2 && ambiguous.output.contains("--size") && ambiguous.output.contains("ambiguous"), "\(ambiguous.output)")
        #expect(try dmactl(directory, ["copy", "--from", "system", "--to", "system", "--size", "1K"]).status == 2)
    }

    @Test("--help documents the exit statuses")
    func help() throws {
        let result = try Fixtures.run(Self.dmactl, ["--help"])
        #expect(result.status == 0)
        let text = result.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("Exit status: 0 success; 1 operation failed, data mismatch, or a device broke the completion contract; 2 usage error; 3"))
        #expect(text.contains("6 an operation did not complete within --timeout"))
    }
}
