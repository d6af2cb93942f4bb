import DMABench
import DMAHost
@testable import RDMAVerbsKit
import Testing

@Suite("RDMAHardware: the benchmark drives READ and WRITE and counts registration-cache hits",
       .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareBenchTests {
    @Test("a short write and read run verify the data; the buffers are registered once and then hit in the cache",
          arguments: [BenchOperation.write, .read])
    func bench(operation: BenchOperation) throws {
        let fixture = try RDMAFixture.get()
        let before = fixture.engine.registrationStatistics
        let parameters = BenchParameters(operation: operation, size: 4096, queueDepth: 16, seconds: 0.3, hot: true)
        let report = try Benchmark.run(domain: fixture.domain, backend: "rdma", device: fixture.deviceID, parameters: parameters)
        let after = fixture.engine.registrationStatistics
        print("bench \(operation.rawValue): \(report.text)")
        #expect(report.measurement.verified)
        #expect(report.measurement.throughput.operations > 0)
        #expect(report.fields.contains { $0.0 == "operation" && $0.1 == .string(operation.rawValue) })
        // Every operation leases both of its buffers, and after the first round all are hits (the
        // 16 slots' buffers stay registered). Other suites share the device, so the counters
        // only bound this run's share from below.
        let operations = UInt64(report.measurement.throughput.operations)
        print("registration cache: hits \(before.hits) → \(after.hits), misses \(before.misses) → \(after.misses), \(operations) measured operations")
        #expect(after.hits - before.hits >= operations, "hits \(before.hits) → \(after.hits) for \(operations) operations")
    }
}
