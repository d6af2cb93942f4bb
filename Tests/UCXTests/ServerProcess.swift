import Foundation
import Testing

/// `dmactl serve` as a child process: started, its first line read, signalled, killed.
final class ServerProcess: @unchecked Sendable {
    // @unchecked Sendable: used by one test at a time.
    let process = Process()
    private let output = Pipe()
    /// The first line the server printed ("serving ucx:IP:PORT BYTES bytes ACCESS").
    let firstLine: String

    /// Starts `dmactl serve` with `arguments` and waits (at most 30 s) for its first line.
    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: UCXTestSupport.dmactlPath)
        process.arguments = ["serve"] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let reader = output.fileHandleForReading
        while !line.contains(0x0A) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }  // end of file: the server exited
            line.append(chunk)
        }
        firstLine = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard firstLine.hasPrefix("serving ") else {
            process.terminate()
            throw TestFailure("dmactl serve \(arguments.joined(separator: " ")) printed '\(firstLine)' instead of 'serving …'")
        }
    }

    /// "IP:PORT" from the first line.
    var address: String {
        let words = firstLine.split(separator: " ")
        return words.count > 1 ? String(words[1].dropFirst("ucx:".count)) : ""
    }

    /// Sends `signal`.
    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Everything printed after the first line, once the process has ended.
    func remainingOutput() -> String {
        process.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
