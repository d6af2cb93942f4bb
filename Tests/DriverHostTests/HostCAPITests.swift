import Foundation
import Testing

@Suite("Host C API")
struct HostCAPITests {
    @Test("A C program built against the headers and libDMAHost.so loads and uses plugins from a directory outside the build tree")
    func cProgram() throws {
        let directory = try PluginDirectory.withSamples("dmahost-capi")
        try "not a plugin\n".write(toFile: directory.path + "/libdmahost-readme.so", atomically: true, encoding: .utf8)
        let program = directory.path + "/host_api_test"
        let build = Fixtures.buildDirectory
        let (compiler, sanitizerFlags) = Sanitizer.current.programCompiler
        let compiled = try Fixtures.run(compiler, sanitizerFlags + [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", Fixtures.includeDirectory,
            Fixtures.repositoryRoot + "/Tests/Fixtures/CHostProgram/host_api_test.c",
            "-L", build, "-lDMAHost", "-Wl,-rpath," + build, "-o", program,
        ])
        try #require(compiled.status == 0, "\(compiled.output)")
        // DMAHOST_DRIVER_PATH must not matter: the program loads its directory explicitly.
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        let run = try Fixtures.run(program, [directory.path], environment: environment)
        print(run.output)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasSuffix("PASS\n"))
    }
}
