import Foundation

/// How a child program ended and what it wrote.
public struct ChildProcessResult: Sendable {
    /// The exit status (or the signal number, when it was killed).
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: String
    /// Everything it wrote to standard error.
    public var stderr: String

    /// Standard output followed by standard error.
    public var output: String { stdout + stderr }

    /// Both streams and the status, for failure messages.
    public var transcript: String { "exit status \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs programs to completion for tests, each stream captured through its own file (a child
/// that fills one stream while nobody reads the other cannot block), the files removed afterwards.
public enum ChildProcess {
    /// Runs `executable` with `arguments` and waits for it.
    /// - Parameters:
    ///   - executable: A path, or with `searchPath` a name looked up in `PATH` (through `/usr/bin/env`).
    ///   - environment: The child's whole environment; nil gives it this process's.
    ///   - adding: Variables set on top of that environment.
    ///   - currentDirectory: The child's working directory; nil gives it this process's.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           adding extra: [String: String] = [:], currentDirectory: String? = nil,
                           searchPath: Bool = false) throws -> ChildProcessResult {
        let process = Process()
        if searchPath {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        if environment != nil || !extra.isEmpty {
            process.environment = (environment ?? ProcessInfo.processInfo.environment).merging(extra) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }

        let directory = try TemporaryDirectory.make("dmahost-child")
        defer { TemporaryDirectory.remove(directory) }
        let outPath = directory + "/stdout", errPath = directory + "/stderr"
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw TestSupportError("cannot create the output files of \(executable) in \(directory)")
        }
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            try? out.close()
            try? err.close()
            throw error
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ChildProcessResult(status: process.terminationStatus, stdout: readText(outPath), stderr: readText(errPath))
    }

    /// The whole content of a file as UTF-8 text ("" when unreadable). Reads to the end of the
    /// file, which also works for procfs files that report size 0.
    public static func readText(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A test's surroundings could not be prepared.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
