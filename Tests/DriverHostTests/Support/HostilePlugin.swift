import DMAHost
import DriverHost
import Foundation
import Testing

/// A configurable plugin (Tests/Fixtures/BadPlugins/configurable_plugin.c) built with the
/// flags of one careless-vendor case into a directory of its own, and what tests do with it.
struct HostilePlugin {
    /// The directory holding the plugin (and whatever else a test adds).
    let directory: String

    /// Builds `libdmahost-<name>.so` with `flags` into a fresh directory.
    init(_ flags: [String], name: String = "fixture", label: String = "dmahost-hostile") throws {
        directory = try Fixtures.temporaryDirectory(label)
        try Fixtures.buildPlugin(name, in: directory, flags: flags)
    }

    /// A new host that loaded this directory only.
    func host() -> (DriverHost, [LoadOutcome]) {
        let host = DriverHost()
        return (host, host.load(paths: [directory]))
    }

    /// Runs dmactl with this directory's plugins only.
    func dmactl(_ arguments: [String]) throws -> (status: Int32, output: String, stdout: String) {
        try Self.dmactl(directory: directory, arguments)
    }

    /// Runs dmactl with the plugins of `directory` only.
    static func dmactl(directory: String, _ arguments: [String]) throws -> (status: Int32, output: String, stdout: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        return try Fixtures.run(DMACtlTests.dmactl, arguments + ["--no-default-drivers", "--driver-dir", directory],
                                environment: environment)
    }
}

/// Pushes 4 KiB from system memory into `domain` through the Swift API; returns the error, or nil.
func pushOutcome(_ domain: MemoryDomain, timeout: Duration? = nil) async -> DMAError? {
    let source = ScatterBuffer(length: 4096), destination = ScatterBuffer(length: 4096)
    do throws(DMAError) {
        try await domain.push(into: destination.iov(), from: source.iov(), timeout: timeout)
        return nil
    } catch {
        if error.errno == ETIMEDOUT {
            // The device may still write them: keep both for the rest of the process.
            AbandonedMemory.keep(source)
            AbandonedMemory.keep(destination)
        }
        return error
    }
}

/// Waits (up to 10 s) until `condition` holds; returns whether it did.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<1000 {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return condition()
}
