@testable import DMABench
import DMADriverKit
import Foundation
import Testing

@Suite("DMABench sweeps: size and count lists, the time plan, the records")
struct SweepTests {
    @Test("size lists: values, ranges by powers of two, in the order written, repeats once", arguments: [
        ("64", [64]),
        ("64,4K", [64, 4096]),
        ("64..1K", [64, 128, 256, 512, 1024]),
        ("4K..4M", (12...22).map { 1 << $0 }),
        ("1M,64,64B", [1 << 20, 64]),
        ("100..1000", [100, 200, 400, 800]),
        ("64..64", [64]),
        (" 64 , 128 ", [64, 128]),
        (" 64. .661", [64, 128, 256, 512]),  // spaces are ignored inside ".." too
        ("64,4KiB..16KiB,64MiB", [64, 4096, 8192, 16384, 64 << 20]),
    ])
    func sizes(text: String, expected: [Int]) throws {
        #expect(try SweepList.sizes(text, option: "--sizes") == expected)
    }

    @Test("bad size lists name the option and what is wrong", arguments: [
        ("", "--sizes: empty item"),
        ("64,,128", "--sizes: empty item"),
        ("4X", "--sizes: '4X' in '4X' is not a size"),
        ("64..lots", "--sizes: 'lots' in '64..lots' is not a size"),
        ("4M..64", "--sizes: range '4M..64' runs downwards"),
        ("32", "--sizes: 32 is outside 64B...64MiB"),
        ("1K..128M", "--sizes: 128M is outside 64B...64MiB"),
        ("64..128..256", "--sizes: '64..128..256' has more than one '..'"),
    ])
    func badSizes(text: String, message: String) {
        #expect(throws: SweepListError.self) { try SweepList.sizes(text, option: "--sizes") }
        do {
            _ = try SweepList.sizes(text, option: "--sizes")
        } catch {
            #expect(error.message.hasPrefix(message), "\(error)")
        }
    }

    @Test("count lists: values and ranges; bounds checked")
    func counts() throws {
        #expect(try SweepList.counts("1,4,16", option: "--queue-depths", range: 1...4096) == [1, 4, 16])
        #expect(try SweepList.counts("1..64", option: "--queue-depths", range: 1...4096) == [1, 2, 4, 8, 16, 32, 64])
        #expect(throws: SweepListError("--queue-depths: 0 is outside 1...4096")) {
            try SweepList.counts("0,4", option: "--queue-depths", range: 1...4096)
        }
        #expect(throws: SweepListError("--queue-depths: '4K' in '4K' is not a whole number or a range LOW..HIGH such as 1..64")) {
            try SweepList.counts("4K", option: "--queue-depths", range: 1...4096)
        }
    }

    @Test("a list of more than the most values is refused")
    func tooMany() {
        let text = (1...1025).map(String.init).joined(separator: ",")
        #expect(throws: SweepListError("--queue-depths: more than 1024 values")) {
            try SweepList.counts(text, option: "--queue-depths", range: 1...4096)
        }
    }

    @Test("a point's budget adds up to its seconds, with or without a ceiling", arguments: [true, false])
    func budget(ceiling: Bool) {
        let budget = PointBudget(seconds: 2, ceiling: ceiling)
        let sum = budget.baselineWarmup + budget.baseline + budget.deviceWarmup + budget.device + budget.ceiling
        #expect(abs(sum - 2) < 1e-9)
        #expect(budget.device == 1)
        #expect(abs(budget.ceiling - (ceiling ? 0.2 : 0)) < 1e-9)
        #expect(abs(budget.baseline - (ceiling ? 0.5 : 0.7)) < 1e-9)
        #expect(abs(budget.deviceStart - (0.1 + budget.baseline / 2)) < 1e-9)
        #expect(abs(budget.ceilingStart + budget.ceiling - 2) < 1e-9)
        #expect(budget.summary(baselineName: "memcpy") == (ceiling
            ? "0.30 s warm-up, 1.00 s device, 0.50 s memcpy baseline, 0.20 s ceiling"
            : "0.30 s warm-up, 1.00 s device, 0.70 s memcpy baseline"))
    }

    @Test("the plan: every size with every queue depth, total time, progress over the whole run")
    func plan() {
        let plan = SweepPlan(sizes: [64, 4096, 65536], queueDepths: [1, 16], secondsPerPoint: 2)
        #expect(plan.points == [SweepPoint(size: 64, queueDepth: 1), SweepPoint(size: 64, queueDepth: 16),
                                SweepPoint(size: 4096, queueDepth: 1), SweepPoint(size: 4096, queueDepth: 16),
                                SweepPoint(size: 65536, queueDepth: 1), SweepPoint(size: 65536, queueDepth: 16)])
        #expect(plan.totalSeconds == 12)
        let third = plan.progress(point: 2, elapsedInPoint: 0.5)
        #expect(third.elapsed == 4.5 && third.total == 12 && third.remaining == 7.5)
        #expect(third.line == "point 3/6  4.5/12.0 s (38%)")
        // A point that overruns its time does not push the run past the next point's start.
        #expect(plan.progress(point: 2, elapsedInPoint: 3).elapsed == 6)
        #expect(plan.progress(point: 5, elapsedInPoint: 2).fraction == 1)
        #expect(plan.summary(budget: PointBudget(seconds: 2, ceiling: false), baselineName: "memset")
                == "6 points x 2.00 s = 12.0 s planned (each: 0.30 s warm-up, 1.00 s device, 0.70 s memset baseline)")
    }

    @Test("mixed workloads: exactly the share of reads in every 100 operations, spread out", arguments: [0, 1, 30, 50, 70, 99, 100])
    func mix(percent: Int) {
        let reads = (0..<1000).filter { BenchSubmit.isRead(sequence: $0, readPercent: percent) }.count
        #expect(reads == percent * 10)
        if percent == 70 {
            #expect((0..<10).filter { BenchSubmit.isRead(sequence: $0, readPercent: 70) }.count == 7)
        }
    }

    @Test("an operation split into iovecs covers its bytes exactly, in order", arguments: [(4096, 1), (4096, 3), (64, 64), (1000, 7)])
    func split(size: Int, count: Int) {
        let list = UnsafeMutablePointer<iovec>.allocate(capacity: count)
        defer { list.deallocate() }
        let base = UnsafeMutableRawPointer(bitPattern: 0x10000)!
        BenchSubmit.describe(list, base: base, size: size, count: count)
        var next = base
        for index in 0..<count {
            #expect(list[index].iov_base == next)
            #expect(list[index].iov_len >= size / count && list[index].iov_len <= size / count + 1)
            next += list[index].iov_len
        }
        #expect(next == base + size)
    }

    @Test("parameters: --mix and --iovecs ranges")
    func parameters() {
        func refusal(_ parameters: BenchParameters) -> String? {
            do throws(DMAError) { try parameters.validate(); return nil } catch { return error.message }
        }
        let base = BenchParameters(operation: .copy, size: 4096, queueDepth: 4, seconds: 1, hot: false)
        #expect(refusal(base) == nil)
        var mixed = base
        mixed.readPercent = 70
        #expect(refusal(mixed) == nil)
        #expect(mixed.workloadName == "mix" && mixed.effectiveReadPercent == 70)
        mixed.readPercent = 101
        #expect(refusal(mixed)?.hasPrefix("--mix must be 0...100") == true)
        mixed.readPercent = 50
        mixed.operation = .fill
        #expect(refusal(mixed)?.contains("cannot be combined with --op fill") == true)
        var split = base
        split.iovecs = 0
        #expect(refusal(split)?.hasPrefix("--iovecs must be 1...256") == true)
        split.size = 64
        split.iovecs = 65
        #expect(refusal(split)?.hasPrefix("--iovecs 65 splits 64B into entries of less than a byte") == true)
        #expect(BenchParameters(operation: .read, size: 64, queueDepth: 1, seconds: 1, hot: false).effectiveReadPercent == 100)
    }
}

@Suite("DMABench records: JSON lines and CSV")
struct BenchRecordTests {
    static func record(readPercent: Int? = 70, device: String = "cpu:0", p50: Int? = 1234) -> BenchRecord {
        var record = BenchRecord(schemaVersion: 1, measuredAt: "2026-12-03T05:40:12Z", backend: "cpu", device: device, operation: "mix",
                                 readPercent: readPercent, sizeBytes: 4096, queueDepth: 16, iovecs: 2, workers: 2, completion: "worker",
                                 resubmit: "callback", hot: false, measuredSeconds: 1.5, operations: 3000, gbPerS: 8.25,
                                 millionOpsPerS: 2.0, p50Ns: p50, p99Ns: 5000, latencySamples: 30, baseline: "memcpy",
                                 baselineGbPerS: 10, baselineMillionOpsPerS: 2.5, ratio: 0.825, ceilingThreads: nil, ceilingGbPerS: nil,
                                 workingSetBytes: 1 << 27, eagainRetries: 0, verified: true)
        record.p50Ns = p50
        return record
    }

    @Test("a JSON line: every key in snake_case with its unit, nulls written, schema_version 1, and it reads back")
    func jsonLine() throws {
        let line = BenchRecordFormat.jsonl.line(Self.record(readPercent: nil, p50: nil))
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == Set(BenchRecord.CodingKeys.allCases.map(\.rawValue)))
        #expect(object["schema_version"] as? Int == 1)
        #expect(object["gb_per_s"] as? Double == 8.25)
        #expect(object["million_ops_per_s"] as? Double == 2.0)
        #expect(object["p50_ns"] is NSNull && object["read_percent"] is NSNull && object["ceiling_gb_per_s"] is NSNull)
        #expect(object["p99_ns"] as? Int == 5000)
        #expect(object["size_bytes"] as? Int == 4096)
        for key in object.keys { #expect(key == key.lowercased() && !key.contains("-"), "\(key)") }
        let decoded = try JSONDecoder().decode(BenchRecord.self, from: Data(line.utf8))
        #expect(decoded == Self.record(readPercent: nil, p50: nil))
    }

    @Test("CSV: a header of the JSON keys in record order, one row per record, quoting where needed, null empty")
    func csv() {
        let format = BenchRecordFormat.csv
        let header = format.header
        #expect(header.count == 1)
        let columns = header[0].split(separator: ",").map(String.init)
        #expect(columns == BenchRecord.CodingKeys.allCases.map(\.rawValue))
        #expect(columns.prefix(3) == ["schema_version", "command", "measured_at"])
        let row = format.line(Self.record(device: "odd,\"name\""))
        #expect(row.hasPrefix("1,bench,2026-12-03T05:40:12Z,cpu,\"odd,\"\"name\"\"\",mix,70,4096,16,2,2,worker,callback,false,1.5,3000,8.25,"))
        #expect(row.hasSuffix(",memcpy,10.0,2.5,0.825,,,134217728,0,true"))
        #expect(BenchRecordFormat.jsonl.header.isEmpty)
    }

    @Test("the table row of a point")
    func tableRow() {
        let row = SweepTable.row(Self.record())
        #expect(row == "    4KiB    16     8.25     2.000   1234 ns   5000 ns          10.00   0.825")
        #expect(SweepTable.header == "    size    qd     GB/s    Mops/s       p50       p99  baseline GB/s   ratio")
    }

    @Test("timestamps are UTC ISO 8601")
    func timestamp() {
        #expect(BenchRecord.timestamp(secondsSinceEpoch: 0) == "1970-01-01T00:00:00Z")
        #expect(BenchRecord.timestamp(secondsSinceEpoch: 1_796_276_412) == "2026-12-03T05:40:12Z")
    }
}
