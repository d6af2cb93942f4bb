import Foundation
import Testing

/// Every command's `--format json` document against docs/schema/dmactl.schema.json.
@Suite("dmactl JSON schema")
struct DMACtlSchemaTests {
    static let schemaPath = Fixtures.repositoryRoot + "/docs/schema/dmactl.schema.json"

    /// A directory with the vendor samples and a fixture plugin whose domain id differs from its device id.
    static func plugins() throws -> String {
        let directory = try PluginDirectory.withSamples("dmahost-schema")
        try Fixtures.buildPlugin("fixture", in: directory.path, flags: ["-DCOPY_CALLBACKS", "-DDOMAIN_ID=\"fixture:alias\""])
        return directory.path
    }

    /// Runs dmactl with `--format json` and only `directory`'s plugins (none for nil).
    func document(_ directory: String?, _ arguments: [String]) throws -> (status: Int32, value: JSONValue, text: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        let plugins = directory.map { ["--driver-dir", $0] } ?? []
        let result = try Fixtures.run(DMACtlTests.dmactl, arguments + ["--format", "json", "--no-default-drivers"] + plugins,
                                      environment: environment)
        let value = try JSONValue.parse(result.stdout)
        return (result.status, value, result.output)
    }

    @Test("the validator checks every keyword the schema uses")
    func keywords() throws {
        let validator = try JSONSchemaValidator(contentsOf: Self.schemaPath)
        #expect(validator.unsupportedKeywords().isEmpty, "unchecked keywords: \(validator.unsupportedKeywords())")
    }

    @Test("the validator refuses documents that break the schema")
    func refusals() throws {
        let validator = try JSONSchemaValidator(contentsOf: Self.schemaPath)
        let good = #"{"schema_version": 1, "command": "list", "error": {"message": "m", "exit_status": 4, "status": "noDrivers"}}"#
        #expect(validator.problems(try JSONValue.parse(good)).isEmpty)
        for bad in [
            #"{"schema_version": 2, "command": "list", "error": {"message": "m", "exit_status": 4, "status": "noDrivers"}}"#,
            #"{"schema_version": 1, "command": "list", "error": {"message": "m", "exit_status": "4", "status": "noDrivers"}}"#,
            #"{"schema_version": 1, "command": "list", "error": {"message": "m", "exit_status": 4, "status": "noDrivers", "extra": 1}}"#,
            #"{"schema_version": 1, "command": "teleport", "error": {"message": "m", "exit_status": 4, "status": "noDrivers"}}"#,
            #"{"schema_version": 1, "command": "version", "dmactl_version": "1", "library_version": "1", "json_schema_version": 1, "driver_abi": {"major": 1, "minor": true}}"#,
        ] {
            #expect(!validator.problems(try JSONValue.parse(bad)).isEmpty, "accepted: \(bad)")
        }
    }

    /// Each command (and some failures) with the exit status it must end with.
    static let cases: [([String], Int32)] = [
        (["list"], 0), (["list", "vendor-c:*,system", "--caps", "copy", "--timing"], 0), (["info", "fixture:0"], 0),
        (["env"], 0), (["doctor"], 0), (["doctor", "--isolate"], 0),
        (["copy", "--from", "system", "--to", "fixture:alias", "--size", "4KiB"], 0),
        (["copy", "--from", "vendor-c:0", "--to", "vendor-swift:1", "--size", "1.5K", "--segments", "3"], 0),
        (["bench", "--device", "vendor-c:0", "--size", "4K", "--qd", "2", "--seconds", "0.05", "--hot"], 0),
        (["stress", "--seconds", "0.3", "--seed", "3"], 0), (["--version"], 0),
        (["copy", "--from", "system", "--to", "nothing:0", "--size", "1K"], 3), (["bench", "--size", "4KB"], 2),
        (["info", "vendor-c:"], 2), (["frobnicate"], 2),
    ]

    @Test("every command's document follows the schema, with the exit status it states", arguments: cases)
    func documents(_ arguments: [String], _ status: Int32) throws {
        let validator = try JSONSchemaValidator(contentsOf: Self.schemaPath)
        let result = try document(try Self.plugins(), arguments)
        #expect(result.status == status, "\(arguments): \(result.text)")
        let problems = validator.problems(result.value)
        #expect(problems.isEmpty, "\(arguments):\n\(problems.joined(separator: "\n"))\n\(result.text)")
        #expect((result.value["error"] != nil) == (status != 0))
    }

    @Test("every record of a bench sweep in JSON follows the schema")
    func sweepRecords() throws {
        let validator = try JSONSchemaValidator(contentsOf: Self.schemaPath)
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        let arguments = ["bench", "--device", "vendor-c:0", "--sizes", "64,128", "--queue-depths", "1,2", "--mix", "50",
                         "--seconds", "0.05", "--hot", "--format", "json", "--no-default-drivers", "--driver-dir", try Self.plugins()]
        let result = try Fixtures.run(DMACtlTests.dmactl, arguments, environment: environment)
        #expect(result.status == 0, "\(result.output)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 4, "\(result.stdout)")
        for line in lines {
            let value = try JSONValue.parse(String(line))
            let problems = validator.problems(value)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n\(line)")
            #expect(value["operation"] == .string("mix") && value["read_percent"] == .integer(50))
        }
    }

    @Test("documents of failures after output (no driver) follow the schema too", arguments: [["list"], ["env"], ["doctor"]])
    func noDrivers(_ arguments: [String]) throws {
        let validator = try JSONSchemaValidator(contentsOf: Self.schemaPath)
        let result = try document(nil, arguments)
        #expect(result.status == 4, "\(result.text)")
        #expect(validator.problems(result.value).isEmpty, "\(validator.problems(result.value))")
        #expect(result.value["error"]?["status"] == .string("noDrivers"))
    }
}
