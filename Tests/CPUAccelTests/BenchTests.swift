import DMABench
import DMAHost
import DriverHost
import Foundation
import Testing

/// Keys `dmactl bench --format json` must always print.
let requiredBenchKeys = ["backend", "device", "operation", "size_bytes", "queue_depth", "workers", "gb_per_s", "million_ops_per_s",
                         "p50_ns", "p99_ns", "baseline_gb_per_s", "ratio", "working_set_bytes", "hot"]

@Suite("dmactl bench: the CPU device through the memory-domain API")
struct CPUBenchTests {
    @Test("a short copy and fill run measure the device, the baseline and latencies, and verify the data",
          arguments: [(BenchOperation.copy, 4096, ResubmitMode.callback), (.fill, 65536, .callback), (.copy, 4096, .thread), (.fill, 65536, .thread)])
    func benchmark(operation: BenchOperation, size: Int, resubmit: ResubmitMode) throws {
        let host = try cpuHost()
        let domain = try openCPU(host)
        let parameters = BenchParameters(operation: operation, size: size, queueDepth: 8, seconds: 0.2, hot: true, resubmit: resubmit)
        let report = try Benchmark.run(domain: domain, backend: "cpu", device: "cpu:0", parameters: parameters)
        host.closeAll()
        #expect(report.measurement.verified)
        #expect(report.measurement.throughput.operations > 0)
        #expect(report.measurement.throughput.gigabytesPerSecond > 0)
        #expect(report.baseline.gigabytesPerSecond > 0)
        #expect(report.ratio > 0)
        #expect(!report.measurement.latencies.isEmpty)
        #expect(report.workers != nil && report.completionMode == "worker")
        #expect(report.workingSetBytes == (operation == .copy ? 2 : 1) * 8 * PageSize.roundUp(byteCount: size))
        let keys = report.fields.map(\.0)
        for key in requiredBenchKeys { #expect(keys.contains(key), "report lacks \(key)") }
        #expect(report.text.contains("backend cpu, device cpu:0"))
        #expect(report.fields.contains { $0.0 == "resubmit" && $0.1 == .string(resubmit.rawValue) })
        #expect(report.measurement.slotBalance > 0 && report.measurement.slotBalance <= 1)
    }

    @Test("dmactl bench --format json prints one object with the required keys")
    func json() throws {
        let result = try dmactl(["bench", "--device", "cpu:0", "--op", "copy", "--size", "4KiB", "--qd", "4", "--seconds", "0.2",
                                 "--workers", "1", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in requiredBenchKeys { #expect(object[key] != nil, "JSON lacks \(key)") }
        #expect(object["backend"] as? String == "cpu")
        #expect(object["device"] as? String == "cpu:0")
        #expect(object["workers"] as? Int == 1)
        #expect(object["size_bytes"] as? Int == 4096)
        #expect(object["schema_version"] as? Int == 1 && object["command"] as? String == "bench")
        #expect(object["hot"] as? Bool == false)
        #expect((object["working_set_bytes"] as? Int ?? 0) >= 4 * (object["llc_bytes"] as? Int ?? .max))
        #expect(object["verified"] as? Bool == true)
    }

    @Test("poll completions: the benchmark delivers them through the domain's poll function", arguments: ResubmitMode.allCases)
    func pollMode(resubmit: ResubmitMode) throws {
        let result = try dmactl(["bench", "--op", "fill", "--size", "64B", "--qd", "16", "--seconds", "0.2", "--hot",
                                 "--workers", "2", "--completion", "poll", "--resubmit", resubmit.rawValue, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["completion"] as? String == "poll")
        #expect(object["verified"] as? Bool == true)
    }

    @Test("out-of-range sizes and queue depths are usage errors", arguments: [
        ["--size", "32B"], ["--size", "65MiB"], ["--qd", "0"], ["--completion", "interrupt"], ["--size", "lots"],
        ["--resubmit", "sometimes"],
    ])
    func usage(arguments: [String]) throws {
        let result = try dmactl(["bench", "--seconds", "0.1"] + arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
    }
}
