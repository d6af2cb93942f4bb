import Foundation
import ProcessTestSupport
import Testing

/// Builds Tests/CConformance against the public header only, links it against the
/// libDMAHost.so of this build, runs it, and requires "N passed, 0 failed".
@Suite("C conformance program")
struct CConformanceTests {
    /// At least this many checks must run: the program has close to two thousand, and a
    /// much smaller number means a section stopped early.
    static let minimumChecks = 1500

    @Test("conformance.c compiles with -Wall -Wextra -Werror and passes every check")
    func conformance() throws {
        let (found, searched) = ExternalTools.libraryDirectory()
        let bin = try #require(found, "libDMAHost.so not found in \(searched); `swift test` builds the DMAHost product next to the test binary")
        let sources = try FileManager.default
            .contentsOfDirectory(atPath: ExternalTools.packageRoot.appendingPathComponent("Tests/CConformance").path)
            .filter { $0.hasSuffix(".c") }
            .sorted()
            .map { "Tests/CConformance/\($0)" }
        #expect(sources.contains("Tests/CConformance/conformance.c"))

        // A sanitized library needs its runtime in the program: use the toolchain's clang with
        // the same sanitizer. Otherwise the system C compiler, as SPDK users would.
        let sanitizer = ExternalTools.activeSanitizer
        let compiler = try #require(sanitizer == nil ? (ExternalTools.find("cc") ?? ExternalTools.find("clang")) : ExternalTools.find("clang"),
                                    "no C compiler (cc or clang) in PATH")
        let work = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let program = work.appendingPathComponent("conformance").path
        var flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I", "Sources/CDMAHostABI/include"]
        var runtimeLibraries: [String] = []
        if let sanitizer {
            flags += ["-fsanitize=\(sanitizer)", "-g"]
            // The toolchain's sanitizer runtimes intercept libdispatch, so they need it (and
            // the blocks runtime) at link time.
            let runtime = try #require(ExternalTools.swiftRuntimeDirectory, "cannot locate the Swift runtime directory")
            runtimeLibraries = ["-L", runtime.path, "-ldispatch", "-lBlocksRuntime", "-Wl,-rpath,\(runtime.path)"]
        }
        let compile = try ExternalTools.run(compiler, flags + ["-o", program] + sources +
                                            ["-L", bin.path, "-lDMAHost", "-Wl,-rpath,\(bin.path)"] + runtimeLibraries)
        try #require(compile.status == 0, "compiling the conformance program failed:\n\(compile.transcript)")

        // allocator_may_return_null: the program checks that a SIZE_MAX/2 user context is
        // -ENOMEM, which sanitizer allocators would otherwise turn into an abort.
        let options = "allocator_may_return_null=1"
        let run = try ExternalTools.run(program, [], environment: ["ASAN_OPTIONS": options, "TSAN_OPTIONS": options])
        let summary = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let numbers = summary.split(separator: " ").compactMap { Int($0) }
        let failures = run.stdout.split(separator: "\n").filter { $0.contains("FAIL") }.joined(separator: "\n")
        #expect(run.status == 0, "conformance program failed:\n\(failures.isEmpty ? run.transcript : failures)")
        try #require(summary.hasSuffix("failed") && numbers.count == 2, "unexpected summary line '\(summary)':\n\(run.transcript)")
        #expect(numbers[1] == 0, "\(numbers[1]) checks failed:\n\(failures)")
        #expect(numbers[0] >= Self.minimumChecks, "only \(numbers[0]) checks ran")
        print("C conformance: \(summary)")
    }
}
