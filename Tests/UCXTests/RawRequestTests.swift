import Foundation
import ProcessTestSupport
import Testing

/// `Tests/UCX/raw_requests.c`, built with cc against the UCX headers and libucp: a client that
/// speaks the protocol by hand, without the plugin's own checks.
enum RawRequestClient {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let source = root.appendingPathComponent("Tests/UCX/raw_requests.c").path
    static let protocolHeaders = root.appendingPathComponent("Plugins/UCX/UCXPlugin").path

    /// The built program, or why there is none (no cc, no UCX headers: libucx-dev).
    static let built: Result<String, TestFailure> = {
        guard FileManager.default.fileExists(atPath: "/usr/include/ucp/api/ucp.h") else {
            return .failure(TestFailure("the UCX headers are missing (/usr/include/ucp/api/ucp.h: install libucx-dev)"))
        }
        do {
            let output = try TemporaryDirectory.make("dmahost-raw-requests") + "/raw_requests"
            let compile = try run("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", protocolHeaders,
                                                   source, "-o", output, "-lucp", "-lucs"])
            guard compile.status == 0 else { return .failure(TestFailure("cc \(source) failed: \(compile.output)")) }
            return .success(output)
        } catch {
            return .failure(TestFailure("cannot run cc: \(error)"))
        }
    }()

    /// For `.enabled(if:)`: cc and the UCX headers are there.
    static let available: Bool = {
        guard UCXTestSupport.available else { return false }
        if case .failure(let reason) = built { print("raw request checks skipped: \(reason)") }
        return (try? built.get()) != nil
    }()
}

@Suite("UCX: the server refuses requests outside its rules on its own",
       .enabled(if: RawRequestClient.available, "needs libucp, the built plugin, cc and the UCX headers"))
struct UCXRawRequestTests {
    /// Runs the raw client against `dmactl serve` with `arguments`; returns its output after checking it passed.
    private func check(serve arguments: [String]) throws -> String {
        let server = try ServerProcess(["--listen", "127.0.0.1:0", "--size", "1M"] + arguments)
        let program = try RawRequestClient.built.get()
        let address = server.address
        guard let colon = address.lastIndex(of: ":") else { throw TestFailure("no port in '\(address)'") }
        let result = try run(program, [String(address[..<colon]), String(address[address.index(after: colon)...])])
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("FAIL"), "\(result.output)")
        server.send(SIGTERM)
        _ = server.remainingOutput()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0,
                "the server survived the hand-made requests and stopped cleanly")
        return result.output
    }

    @Test("a read-write region: outside it -EFAULT, inconsistent lengths -EINVAL, its bytes unchanged; inside, WRITE, READ and ZERO work")
    func readWrite() throws {
        let output = try check(serve: [])
        #expect(output.contains("ok: WRITE across the region's end: answer -14"), "\(output)")
        #expect(output.contains("ok: READ of more than the request limit: answer -22"), "\(output)")
        #expect(output.contains("ok: ZERO zeroed its range"), "\(output)")
    }

    @Test("a read-only region: WRITE and ZERO inside it -EACCES, READ works, its bytes unchanged")
    func readOnly() throws {
        let output = try check(serve: ["--read-only"])
        #expect(output.contains("ok: WRITE into the read-only region: answer -13"), "\(output)")
        #expect(output.contains("ok: ZERO of the read-only region: answer -13"), "\(output)")
        #expect(output.contains("unchanged after the refused requests"), "\(output)")
    }
}
