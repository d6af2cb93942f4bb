import Foundation
import ProcessTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A C program that uses a dma-buf domain through the C headers only (host.h, dmabuf.h,
/// spdk/dma.h), built with cc against libDMAHost.so and run on the built plugin.
enum CProgram {
    static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path
    }()

    /// True when this test binary runs under a sanitizer (the program is built uninstrumented,
    /// and an uninstrumented program cannot load instrumented libraries).
    static let sanitized = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil
        || dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try ChildProcess.run(executable, arguments)
        return (result.status, result.output)
    }

    /// Compiles the program into a temporary directory; returns its path.
    static func build() throws -> String {
        let plugin = try #require(BuiltPlugin.path("dmaengine"), "build the plugin product first (swift build)")
        let buildDirectory = String(plugin[..<(plugin.lastIndex(of: "/") ?? plugin.startIndex)])
        let output = try TemporaryDirectory.make("dmahost-dmabuf-c-api") + "/dmabuf_c_api"
        let compiled = try run("/usr/bin/env", [ProcessInfo.processInfo.environment["CC"] ?? "cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
            "-I", "\(repositoryRoot)/Sources/CDMAHostABI/include",
            "\(repositoryRoot)/Tests/Fixtures/CDMABufProgram/dmabuf_c_api.c",
            "-L", buildDirectory, "-lDMAHost", "-Wl,-rpath,\(buildDirectory)", "-o", output])
        #expect(compiled.status == 0, "\(compiled.output)")
        return output
    }
}

@Suite struct CProgramTests {
    /// Compiles everywhere; runs, and without udmabuf says SKIP with the reason (exit 77).
    @Test(.enabled(if: !CProgram.sanitized, "the C program is built uninstrumented; it runs in the plain (unsanitized) test run"))
    func compilesAndRunsOrSaysWhyNot() throws {
        let program = try CProgram.build()
        defer { unlink(program) }
        let plugin = try #require(BuiltPlugin.path("dmaengine"))
        // The verdict is the last line of standard output; the host's log lines go to standard error.
        let result = try ChildProcess.run(program, [plugin])
        print(result.output, terminator: "")
        if Hardware.udmabuf && Hardware.root {
            #expect(result.status == 0 && result.stdout.hasSuffix("PASS\n"), "\(result.transcript)")
        } else {
            #expect(result.status == 77 && result.stdout.hasPrefix("SKIP: no dmaengine:udmabuf device"), "\(result.transcript)")
        }
    }
}

/// The same program in the test guest, where it must pass.
@Suite(.enabled(if: Hardware.inVM && !CProgram.sanitized, "runs in the test guest (Tests/VM/dmabuf-tests.sh), unsanitized"))
struct DMABufHardwareCProgramTests {
    @Test func cProgramUsesTheDomainThroughTheCABI() throws {
        let program = try CProgram.build()
        defer { unlink(program) }
        let result = try ChildProcess.run(program, [try #require(BuiltPlugin.path("dmaengine"))])
        print(result.output, terminator: "")
        #expect(result.status == 0 && result.stdout.hasSuffix("PASS\n"), "\(result.transcript)")
    }
}
