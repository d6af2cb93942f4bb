import DriverHost
import Foundation
import ProcessTestSupport
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

    /// A new empty directory under the system temporary directory, removed when the tests end.
    static func temporaryDirectory(_ label: String = "dmahost-test") throws -> String {
        try TemporaryDirectory.make(label)
    }

    /// Runs a program and returns its exit status, its standard output followed by its
    /// standard error (`output`), and its standard output alone.
    /// - Parameter currentDirectory: The program's current directory (default: this process's).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    currentDirectory: String? = nil) throws -> (status: Int32, output: String, stdout: String) {
        let result = try ChildProcess.run(executable, arguments, environment: environment,
                                          currentDirectory: currentDirectory, searchPath: true)
        return (result.status, result.output, result.stdout)
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

extension Fixtures {
    /// Sets the permission bits of `path` (`chmod(2)`).
    static func setMode(_ path: String, _ mode: mode_t) throws {
        guard chmod(path, mode) == 0 else { throw FixtureError("chmod \(String(mode, radix: 8)) \(path): \(String(cString: strerror(errno)))") }
    }

    /// Sets the owner and group of `path` (`chown(2)`, root only).
    static func setOwner(_ path: String, user: uid_t, group: gid_t) throws {
        guard chown(path, user, group) == 0 else { throw FixtureError("chown \(user):\(group) \(path): \(String(cString: strerror(errno)))") }
    }

    /// A context like this process's, with its loader variables replaced by `environment`.
    static func execution(environment: [String: String] = [:]) -> ExecutionContext {
        var context = ExecutionContext.current()
        context.environment = environment
        return context
    }

    /// A secure-execution context (the kernel's AT_SECURE, as for a set-user-ID program) whose
    /// effective user is this process's and whose real user is `realUser` (another user unless
    /// given).
    static func secureExecution(realUser: UInt32? = nil, environment: [String: String] = [:]) -> ExecutionContext {
        let effective = geteuid()
        let real = realUser ?? (effective == 65534 ? 65533 : 65534)
        return ExecutionContext(kernelSecureExecution: true, realUserID: real, effectiveUserID: effective,
                                realGroupID: getegid(), effectiveGroupID: getegid(), environment: environment)
    }
}

/// A fixture could not be prepared.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
