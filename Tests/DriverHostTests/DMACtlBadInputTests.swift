import Foundation
import Testing

/// dmactl refuses what it cannot do before it starts: sizes that do not fit in memory, runs too
/// short to measure, selections of several devices, with messages that name the command and a
/// remedy the user has not already tried.
@Suite("dmactl bad input")
struct DMACtlBadInputTests {
    let tool = DMACtlTests()

    @Test("copy of a size whose buffers cannot be held exits 1 before allocating, naming need, budget and remedy")
    func copyTooLarge() throws {
        let directory = try PluginDirectory.withSamples().path
        // 4 TiB per buffer: more than any machine this runs on has available.
        let result = try tool.dmactl(directory, ["copy", "--from", "system", "--to", "vendor-c:0", "--size", "4096G"])
        #expect(result.status == 1)
        #expect(result.output.contains("a copy of 4096GiB needs 16 TiB of memory (4 buffers of 4096GiB: pattern, source, destination, read-back)"))
        #expect(result.output.contains("lower --size"))
        let between = try tool.dmactl(directory, ["copy", "--from", "vendor-c:0", "--to", "vendor-swift:0", "--size", "4096G"])
        #expect(between.status == 1)
        #expect(between.output.contains("5 buffers of 4096GiB: pattern, source, destination, read-back, bounce buffer"))
    }

    @Test("copy under an address-space limit names RLIMIT_AS",
          .disabled(if: Sanitizer.current != .none,
                    "the sanitizer runtimes reserve terabytes of address space and refuse to start under an address-space limit"))
    func copyOverAddressSpaceLimit() throws {
        let directory = try PluginDirectory.withSamples().path
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = nil
        // 4 GiB of address space: enough for the process, not for 4 buffers of 1 GiB.
        let result = try Fixtures.run("/bin/sh", ["-c", "ulimit -v 4194304 && exec \"$0\" \"$@\"", DMACtlTests.dmactl,
                                                  "copy", "--from", "system", "--to", "vendor-c:0", "--size", "1G",
                                                  "--no-default-drivers", "--driver-dir", directory], environment: environment)
        #expect(result.status == 1)
        #expect(result.output.contains("(RLIMIT_AS less what the process already uses)"), "\(result.output)")
    }

    @Test("bench with a working set that cannot be held: the hint leaves out --hot when --hot was given")
    func benchTooLarge() throws {
        let directory = try PluginDirectory.withSamples().path
        let hot = try tool.dmactl(directory, ["bench", "--device", "vendor-c:0", "--size", "64MiB", "--qd", "4096", "--hot"])
        #expect(hot.status == 1)
        #expect(hot.output.contains("the benchmark working set needs 512 GiB of memory"))
        #expect(hot.output.contains("lower --size or --qd"))
        #expect(!hot.output.contains("--hot"))
    }

    @Test("bench --seconds below the floor is a usage error naming the floor")
    func benchTooShort() throws {
        let directory = try PluginDirectory.withSamples().path
        let result = try tool.dmactl(directory, ["bench", "--device", "vendor-c:0", "--seconds", "0.001"])
        #expect(result.status == 2)
        #expect(result.output.contains("--seconds must be 0.01...3600, got 0.001"))
    }

    @Test("bench with a selection of several devices names bench, not copy")
    func benchSeveralDevices() throws {
        let directory = try PluginDirectory.withSamples().path
        let result = try tool.dmactl(directory, ["bench", "--device", "vendor-c:"])
        #expect(result.status == 2)
        #expect(result.output.contains("selects 2 devices (vendor-c:0, vendor-c:1); bench needs exactly one"))
    }
}
