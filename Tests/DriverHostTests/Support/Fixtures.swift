import DriverHost
import Foundation
import Testing

/// Paths of the repository and the build, and helpers that build purpose-made plugins with
/// the system C compiler into temporary directories (outside the build tree).
enum Fixtures {
    /// The repository root (this file is Tests/DriverHostTests/Support/Fixtures.swift).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The public C headers.
    static let includeDirectory = repositoryRoot + "/Sources/CDMAHostABI/include"
    /// The configurable plugin source used by the rejection tests.
    static let configurablePlugin = repositoryRoot + "/Tests/Fixtures/BadPlugins/configurable_plugin.c"
    /// The stand-in vendor SDK library source.
    static let vendorSDK = repositoryRoot + "/Tests/Fixtures/BadPlugins/vendor_sdk.c"

    /// The directory of the test binary, where SwiftPM also puts libDMAHost.so and the plugins.
    static let buildDirectory: String = DriverSearch.installedPluginDirectories().first ?? "."

    /// The C compiler (CC, else cc).
    static let compiler = ProcessInfo.processInfo.environment["CC"] ?? "cc"

    /// A new empty directory under the system temporary directory.
    static func temporaryDirectory(_ label: String = "dmahost-test") throws -> String {
        let base = NSTemporaryDirectory() + "\(label)-XXXXXX"
        var template = Array(base.utf8CString)
        guard let result = mkdtemp(&template) else { throw FixtureError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        return String(cString: result)
    }

    /// Runs a program and returns its exit status, its standard output followed by its
    /// standard error (`output`), and its standard output alone.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> (status: Int32, output: String, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let environment { process.environment = environment }
        let errorFile = try temporaryDirectory("dmahost-stderr") + "/stderr"
        guard FileManager.default.createFile(atPath: errorFile, contents: nil),
              let errorHandle = FileHandle(forWritingAtPath: errorFile) else { throw FixtureError("cannot create \(errorFile)") }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = errorHandle
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorHandle.close()
        let stdout = String(decoding: data, as: UTF8.self)
        let stderr = FileHandle(forReadingAtPath: errorFile).map { handle in
            defer { try? handle.close() }
            return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        } ?? ""
        return (process.terminationStatus, stdout + stderr, stdout)
    }

    /// Compiles the configurable plugin with `flags` into `directory/libdmahost-<name>.so`.
    @discardableResult
    static func buildPlugin(_ name: String, in directory: String, flags: [String] = [], extra: [String] = []) throws -> String {
        let output = "\(directory)/libdmahost-\(name).so"
        let result = try run(compiler, ["-std=c11", "-Wall", "-fPIC", "-shared", "-I", includeDirectory] + flags
                             + [configurablePlugin, "-o", output] + extra)
        guard result.status == 0 else { throw FixtureError("cc \(flags) failed:\n\(result.output)") }
        return output
    }

    /// Copies the two vendor sample plugins from the build directory into `directory`.
    static func copySamples(into directory: String) throws {
        for name in ["libdmahost-vendor-c.so", "libdmahost-vendor-swift.so"] {
            let source = "\(buildDirectory)/\(name)"
            guard FileManager.default.fileExists(atPath: source) else {
                throw FixtureError("\(source) is missing: build the products first (swift build)")
            }
            try FileManager.default.copyItem(atPath: source, toPath: "\(directory)/\(name)")
        }
    }
}

/// A fixture could not be prepared.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
