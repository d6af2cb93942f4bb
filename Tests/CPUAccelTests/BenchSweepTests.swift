import Foundation
import Testing

@Suite("dmactl bench sweeps on the CPU device")
struct BenchSweepTests {
    @Test("a table: the plan first, one row per point, the run's time at the end")
    func table() throws {
        let result = try dmactl(["bench", "--device", "cpu:0", "--sizes", "64,128", "--seconds", "0.1", "--qd", "2", "--workers", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.first?.contains("baseline GB/s") == true)
        #expect(lines.dropFirst().map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["64B 2", "128B 2"])
        #expect(result.stderr.contains("dmactl bench: cpu:0 copy, 2 points x 0.10 s = 0.2 s planned (each: "), "\(result.stderr)")
        #expect(result.stderr.contains("s of 0.2 s planned; completion faults: none"), "\(result.stderr)")
    }

    @Test("records: CSV on stdout and JSON lines in a file, a mixed workload in several iovecs, every point verified")
    func records() throws {
        let file = NSTemporaryDirectory() + "bench-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try dmactl(["bench", "--device", "cpu:0", "--sizes", "64,128", "--queue-depths", "1,2", "--seconds", "0.1",
                                 "--mix", "70", "--iovecs", "2", "--workers", "1", "--output-format", "csv", "--jsonl", file])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map(String.init)
        #expect(rows.count == 5, "\(result.stdout)")
        #expect(rows.first?.hasPrefix("schema_version,command,measured_at,backend,device,operation,read_percent,size_bytes,queue_depth,iovecs,") == true)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        var points: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["schema_version"] as? Int == 1)
            #expect(object["command"] as? String == "bench" && object["operation"] as? String == "mix" && object["read_percent"] as? Int == 70 && object["iovecs"] as? Int == 2)
            #expect(object["verified"] as? Bool == true)
            #expect((object["gb_per_s"] as? Double ?? 0) > 0 && (object["baseline_gb_per_s"] as? Double ?? 0) > 0)
            points.append("\(object["size_bytes"] as? Int ?? 0)/\(object["queue_depth"] as? Int ?? 0)")
        }
        #expect(points == ["64/1", "64/2", "128/1", "128/2"])
        #expect(result.stderr.contains("mix 70% read / 30% write, 2 iovecs, 4 points x 0.10 s"), "\(result.stderr)")
    }

    @Test("bad lists and conflicting options are usage errors that name the option", arguments: [
        (["--sizes", "64,lots"], "--sizes: 'lots' in 'lots' is not a size"),
        (["--sizes", "4M..64"], "--sizes: range '4M..64' runs downwards"),
        (["--queue-depths", "1,8192"], "--queue-depths: 8192 is outside 1...4096"),
        (["--size", "64", "--sizes", "128"], "--size and --sizes both give the sizes"),
        (["--qd", "4", "--queue-depths", "1,2"], "--qd and --queue-depths both give the queue depth"),
        (["--mix", "120"], "--mix must be 0...100"),
        (["--op", "fill", "--mix", "50"], "cannot be combined with --op fill"),
        (["--iovecs", "0"], "--iovecs must be 1...256"),
        (["--size", "64", "--iovecs", "128"], "--iovecs 128 splits 64B"),
        (["--sizes", "64", "--output-format", "xml"], "output-format"),
    ])
    func usage(arguments: [String], message: String) throws {
        let result = try dmactl(["bench", "--seconds", "0.1"] + arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
