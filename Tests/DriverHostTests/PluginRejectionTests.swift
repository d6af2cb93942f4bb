import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// One way to break the plugin ABI, built from Tests/Fixtures/BadPlugins/configurable_plugin.c.
struct RejectionCase: Sendable, CustomTestStringConvertible {
    var label: String
    var flags: [String]
    var kind: PluginRejection.Kind
    /// Every string must appear in the rejection reason.
    var message: [String]

    var testDescription: String { label }
}

@Suite("Plugin rejections")
struct PluginRejectionTests {
    static let cases: [RejectionCase] = [
        .init(label: "missing entry symbol", flags: ["-DNO_ENTRY"], kind: .missingEntry,
              message: ["does not export dmahost_driver_entry"]),
        .init(label: "entry returns NULL", flags: ["-DRETURN_NULL"], kind: .entryReturnedNull,
              message: ["returned NULL"]),
        .init(label: "config variable with an invalid name", flags: ["-DCONFIG_NAME=\"dmahost_lower\""], kind: .invalidTable,
              message: ["config_variables[0]", "variable name 'dmahost_lower' is invalid"]),
        .init(label: "config variable declared twice", flags: ["-DCONFIG_NAME=\"FIXTURE_X\"", "-DCONFIG_TWICE"], kind: .invalidTable,
              message: ["config variable FIXTURE_X is declared twice"]),
        .init(label: "config variable records of a size below ABI 1.2's", flags: ["-DCONFIG_NAME=\"FIXTURE_X\"", "-DCONFIG_RECORD_SIZE=16"],
              kind: .invalidTable, message: ["config variable record size is 16 bytes"]),
        .init(label: "ABI major newer", flags: ["-DABI_MAJOR=2"], kind: .abiMismatch,
              message: ["driver ABI 2.3", "newer than this host's 1.3"]),
        .init(label: "ABI major older", flags: ["-DABI_MAJOR=0"], kind: .abiMismatch,
              message: ["driver ABI 0.3", "older than this host's 1.3", "rebuild the plugin"]),
        .init(label: "table smaller than ABI 1.0 needs", flags: ["-DOPS_SIZE=48"], kind: .tableTooSmall,
              message: ["declares 48 bytes", "ABI 1.0 needs at least \(DriverTable.minimumSize)"]),
        .init(label: "table smaller than its header", flags: ["-DOPS_SIZE=8"], kind: .tableTooSmall,
              message: ["declares 8 bytes", "less than its own header"]),
        .init(label: "vendor type above 1999", flags: ["-DDECLARED_TYPE=2500"], kind: .invalidDeviceType,
              message: ["vendor driver 'fixture' declares type 2500", "1000...1999"]),
        .init(label: "vendor plugin claims RDMA", flags: ["-DDECLARED_TYPE=0"], kind: .invalidDeviceType,
              message: ["vendor driver 'fixture' declares the built-in type RDMA"]),
        .init(label: "vendor plugin claims ACCEL", flags: ["-DDECLARED_TYPE=2"], kind: .invalidDeviceType,
              message: ["the built-in type ACCEL"]),
        .init(label: "built-in backend claims a vendor type", flags: ["-DPLUGIN_NAME=\"cpu\"", "-DDECLARED_TYPE=1000"],
              kind: .invalidDeviceType, message: ["built-in driver 'cpu' declares device type 1000"]),
        .init(label: "device type not declared", flags: ["-DDEVICE_TYPE=1501"], kind: .invalidDeviceType,
              message: ["device 'fixture:0' has type 1501", "did not declare"]),
        .init(label: "same device id twice in one plugin", flags: ["-DDEVICE_ID1=\"fixture:0\""], kind: .duplicateDevice,
              message: ["reports device id 'fixture:0' twice"]),
        .init(label: "device id without driver prefix", flags: ["-DDEVICE_ID0=\"other:0\""], kind: .invalidDeviceID,
              message: ["'other:0'", "must have the form 'fixture:<device>'"]),
        .init(label: "device id that is only the prefix", flags: ["-DDEVICE_ID0=\"fixture:\""], kind: .invalidDeviceID,
              message: ["'fixture:'", "must have the form"]),
        .init(label: "device id with a selection character", flags: ["-DDEVICE_ID0=\"fixture:a,b\""], kind: .invalidDeviceID,
              message: ["contains ','"]),
        .init(label: "device id with a space hidden by a combining mark", flags: ["-DDEVICE_ID0=\"fixture:a \\xcc\\x81\""],
              kind: .invalidDeviceID, message: ["contains ' '"]),
        .init(label: "probe fails", flags: ["-DPROBE_FAILS"], kind: .probeFailed,
              message: ["probe of driver 'fixture' failed", "firmware file fixture.bin not found"]),
        .init(label: "undefined symbol", flags: ["-DUSE_MISSING_SYMBOL"], kind: .loadFailed,
              message: ["dlopen failed", "undefined symbol: vendor_sdk_function_that_does_not_exist"]),
        .init(label: "NULL name", flags: ["-DNULL_NAME"], kind: .invalidTable, message: ["ops.name is NULL"]),
        .init(label: "non-UTF-8 name", flags: ["-DBAD_UTF8_NAME"], kind: .invalidTable, message: ["ops.name is not valid UTF-8"]),
        .init(label: "name with a space", flags: ["-DPLUGIN_NAME=\"bad name\""], kind: .invalidTable,
              message: ["driver name 'bad name' is invalid"]),
        .init(label: "NULL version", flags: ["-DNULL_VERSION"], kind: .invalidTable, message: ["ops.version of driver 'fixture' is NULL"]),
        .init(label: "non-UTF-8 version", flags: ["-DBAD_UTF8_VERSION"], kind: .invalidTable, message: ["is not valid UTF-8"]),
        .init(label: "NULL probe", flags: ["-DNULL_PROBE"], kind: .invalidTable, message: ["ops.probe is NULL"]),
        .init(label: "NULL open", flags: ["-DNULL_OPEN"], kind: .invalidTable, message: ["ops.open is NULL"]),
        .init(label: "NULL device types", flags: ["-DNULL_TYPES"], kind: .invalidTable,
              message: ["device_types is NULL but device_type_count is 1"]),
        .init(label: "device count without array", flags: ["-DCOUNT_WITHOUT_ARRAY"], kind: .invalidTable,
              message: ["probe reported 3 devices but a NULL array"]),
        .init(label: "NULL device id", flags: ["-DNULL_DEVICE_ID"], kind: .invalidTable, message: ["device 0 id is NULL"]),
        .init(label: "non-UTF-8 device id", flags: ["-DBAD_UTF8_DEVICE_ID"], kind: .invalidTable,
              message: ["device 0 id is not valid UTF-8"]),
        .init(label: "non-UTF-8 description", flags: ["-DBAD_UTF8_DESCRIPTION"], kind: .invalidTable,
              message: ["device 'fixture:0' description is not valid UTF-8"]),
        .init(label: "device record too small", flags: ["-DINFO_SIZE=16"], kind: .invalidTable,
              message: ["device record size is 16 bytes"]),
        .init(label: "device record size not a multiple of its alignment", flags: ["-DINFO_SIZE=60"], kind: .invalidTable,
              message: ["device record size is 60 bytes", "a multiple of 8"]),
    ]

    @Test("A broken plugin is rejected with its reason and the others keep serving", arguments: cases)
    func rejected(_ testCase: RejectionCase) async throws {
        let directory = try PluginDirectory.withSamples()
        let path = try Fixtures.buildPlugin("broken", in: directory.path, flags: testCase.flags)
        let (host, outcomes) = directory.host()

        let rejection = try #require(outcomes.rejections.first, "\(testCase.label): the plugin was not rejected")
        #expect(outcomes.rejections.count == 1)
        #expect(rejection.candidate.path == path)
        #expect(rejection.kind == testCase.kind, "\(rejection.reason)")
        for part in testCase.message {
            #expect(rejection.reason.contains(part), "reason was: \(rejection.reason)")
        }
        #expect(host.rejections == [rejection])

        #expect(outcomes.loadedNames == ["vendor-c", "vendor-swift"])
        #expect(host.devices.map(\.id) == ["vendor-c:0", "vendor-c:1", "vendor-swift:0", "vendor-swift:1"])
        try await expectServes(host, "vendor-c:0")
        try await expectServes(host, "vendor-swift:1")
    }

    @Test("A file that is not ELF is rejected before dlopen")
    func notELF() async throws {
        let directory = try PluginDirectory.withSamples()
        let path = directory.path + "/libdmahost-notes.so"
        try "this is a text file, not a plugin\n".write(toFile: path, atomically: true, encoding: .utf8)
        let (host, outcomes) = directory.host()
        let rejection = try #require(outcomes.rejections.first)
        #expect(rejection.kind == .notSharedObject)
        #expect(rejection.reason.contains("not an ELF shared object"))
        #expect(rejection.reason.contains("starts with \"this\""))
        try await expectServes(host, "vendor-swift:0")
    }

    @Test("An empty file and a relocatable object are rejected with what they are")
    func emptyAndRelocatable() async throws {
        let samples = try PluginDirectory.withSamples()
        let directory = try Fixtures.temporaryDirectory()
        let empty = directory + "/libdmahost-empty.so"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let object = directory + "/libdmahost-object.so"
        let compiled = try Fixtures.run(Fixtures.compiler, ["-c", "-fPIC", "-I", Fixtures.includeDirectory,
                                                            Fixtures.configurablePlugin, "-o", object])
        #expect(compiled.status == 0, "\(compiled.output)")
        let host = DriverHost()
        let outcomes = host.load(paths: [empty, object, samples.path])
        #expect(outcomes.rejections.map(\.kind) == [.notSharedObject, .notSharedObject])
        #expect(outcomes.rejections.first?.reason.contains("0 bytes read") == true)
        #expect(outcomes.rejections.last?.reason.contains("a relocatable object (.o), not a shared object") == true)
        #expect(outcomes.loadedNames == ["vendor-c", "vendor-swift"])
        try await expectServes(host, "vendor-c:0")
    }

    @Test("A plugin whose own library is missing is rejected with the dynamic linker's text")
    func missingDependency() async throws {
        let directory = try PluginDirectory.withSamples()
        let sdkDirectory = try Fixtures.temporaryDirectory("dmahost-sdk")
        let sdk = sdkDirectory + "/libvendorsdk.so"
        let built = try Fixtures.run(Fixtures.compiler, ["-shared", "-fPIC", Fixtures.vendorSDK, "-o", sdk])
        #expect(built.status == 0, "\(built.output)")
        try Fixtures.buildPlugin("needs-sdk", in: directory.path, flags: ["-DUSE_SDK"],
                                 extra: ["-L", sdkDirectory, "-lvendorsdk"])
        try FileManager.default.removeItem(atPath: sdk)

        let (host, outcomes) = directory.host()
        let rejection = try #require(outcomes.rejections.first)
        #expect(rejection.kind == .loadFailed)
        #expect(rejection.reason.contains("libvendorsdk.so: cannot open shared object file"), "\(rejection.reason)")
        try await expectServes(host, "vendor-c:1")
    }

    @Test("Two plugins with the same name: the first is kept, the second rejected")
    func duplicateName() async throws {
        let first = try PluginDirectory.withSamples()
        let second = try Fixtures.temporaryDirectory()
        let firstPath = try Fixtures.buildPlugin("twin", in: first.path, flags: ["-DPLUGIN_NAME=\"twin\""])
        let secondPath = try Fixtures.buildPlugin("twin", in: second, flags: ["-DPLUGIN_NAME=\"twin\""])
        let host = DriverHost()
        let outcomes = host.load(paths: [first.path, second])
        #expect(outcomes.loadedNames == ["twin", "vendor-c", "vendor-swift"])
        let rejection = try #require(outcomes.rejections.first)
        #expect(rejection.candidate.path == secondPath)
        #expect(rejection.kind == .duplicateName)
        #expect(rejection.reason.contains("a driver named 'twin' is already loaded from \(firstPath)"))
        #expect(host.driver(named: "twin")?.path == firstPath)
        try await expectServes(host, "vendor-c:0")
    }

    @Test("A device id another plugin already serves is rejected")
    func duplicateDeviceAcrossPlugins() async throws {
        let directory = try PluginDirectory.withSamples()
        // Sorted file order: "a-…" loads before "b-…".
        try Fixtures.buildPlugin("a-alpha", in: directory.path, flags: ["-DPLUGIN_NAME=\"alpha\""])
        try Fixtures.buildPlugin("b-beta", in: directory.path, flags: ["-DPLUGIN_NAME=\"beta\"", "-DDEVICE_ID0=\"alpha:0\""])
        let (host, outcomes) = directory.host()
        #expect(outcomes.loadedNames == ["alpha", "vendor-c", "vendor-swift"])
        let rejection = try #require(outcomes.rejections.first)
        #expect(rejection.kind == .duplicateDevice)
        #expect(rejection.driverName == "beta")
        #expect(rejection.reason.contains("device id 'alpha:0' of driver 'beta' is already provided by driver 'alpha'"))
        #expect(host.device(id: "alpha:0")?.driverName == "alpha")
        try await expectServes(host, "vendor-swift:0")
    }

    @Test("The host refuses a domain for a device the plugin did not report")
    func foreignDomainRefused() throws {
        let directory = try Fixtures.temporaryDirectory()
        try Fixtures.buildPlugin("foreign", in: directory, flags: ["-DCREATE_FOREIGN_DOMAIN"])
        let host = DriverHost()
        #expect(host.load(paths: [directory]).loadedNames == ["fixture"])
        // open() fails with -EPROTO if the host accepted the foreign domain.
        let domains = try host.open(deviceID: "fixture:0")
        #expect(domains.count == 1)
        #expect(domains.first?.id == "fixture:0")
        #expect(MemoryDomain.all(id: "someone-else:0").isEmpty)
        try host.close(deviceID: "fixture:0")
        #expect(host.domains(of: "fixture:0").isEmpty)
    }

    @Test("Unusable search entries are reported, not ignored")
    func unusableEntries() throws {
        let empty = try Fixtures.temporaryDirectory()
        let missing = empty + "/does-not-exist"
        let samples = try PluginDirectory.withSamples()
        let host = DriverHost()
        let outcomes = host.load(paths: [missing, empty, samples.path])
        #expect(outcomes.rejections.map(\.kind) == [.unreadable, .unreadable])
        #expect(outcomes.rejections.first?.reason.contains("No such file or directory") == true)
        #expect(outcomes.rejections.last?.reason.contains("directory has no plugin files (libdmahost-*.so)") == true)
        #expect(host.drivers.map(\.name) == ["vendor-c", "vendor-swift"])
    }
}
