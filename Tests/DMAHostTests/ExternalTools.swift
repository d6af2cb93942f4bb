import Foundation
import ProcessTestSupport

/// Running external programs (compiler, nm, the conformance binary) from tests, and
/// locating the package and the built library.
enum ExternalTools {
    /// The package root, found from this file's path.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent() // DMAHostTests
        .deletingLastPathComponent() // Tests
        .deletingLastPathComponent()

    /// Full path of `name` in `PATH`, or nil.
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The directory holding `libDMAHost.so` for this build: the directory of the running
    /// test binary (`/proc/self/exe`) or its parent.
    /// - Returns: The directory, or nil with the places searched.
    static func libraryDirectory() -> (URL?, searched: [String]) {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return (nil, ["/proc/self/exe (unreadable)"])
        }
        let directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        let candidates = [directory, directory.deletingLastPathComponent()]
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("libDMAHost.so").path) {
            return (candidate, [])
        }
        return (nil, candidates.map(\.path))
    }

    /// The sanitizer the running test process was built with ("thread", "address"), if any.
    /// A sanitized libDMAHost.so needs the same runtime in any program linked against it.
    static var activeSanitizer: String? {
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        if dlsym(handle, "__tsan_init") != nil { return "thread" }
        if dlsym(handle, "__asan_init") != nil { return "address" }
        return nil
    }

    /// The directory of the Swift runtime this process runs with (where libswiftCore.so,
    /// libdispatch.so and libBlocksRuntime.so live), or nil.
    static var swiftRuntimeDirectory: URL? {
        // The path of the libswiftCore.so mapped into this process.
        for line in readText("/proc/self/maps").split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/"), line.hasSuffix("/libswiftCore.so") else { continue }
            return URL(fileURLWithPath: String(line[slash...])).resolvingSymlinksInPath().deletingLastPathComponent()
        }
        return nil
    }

    /// Runs `executable` with `arguments` to completion in the package root, with `environment`
    /// added to this process's.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildProcessResult {
        try ChildProcess.run(executable, arguments, adding: environment ?? [:], currentDirectory: packageRoot.path)
    }

    /// The whole content of a file as UTF-8 text ("" when unreadable).
    static func readText(_ path: String) -> String { ChildProcess.readText(path) }

    /// A fresh temporary directory, removed when the tests end.
    static func temporaryDirectory() throws -> URL {
        URL(fileURLWithPath: try TemporaryDirectory.make("dmahost-tests"))
    }
}
