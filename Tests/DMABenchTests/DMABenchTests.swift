@testable import DMABench
import DMADriverKit
import Foundation
import Testing

@Suite("DMABench: sizes, caches, working sets, statistics")
struct DMABenchUnitTests {
    @Test("sizes parse with binary units and print in their shortest exact form", arguments: [
        ("64B", 64), ("64", 64), ("4K", 4096), ("4KiB", 4096), ("4kib", 4096), ("64MiB", 64 << 20), ("1G", 1 << 30), ("1500b", 1500),
        ("1.5K", 1536), ("1.5M", 3 << 19), ("0.5KiB", 512), ("2.25G", 9 << 28), ("1.000", 1),
    ])
    func parse(text: String, bytes: Int) {
        #expect(ByteSize(parsing: text)?.bytes == bytes)
    }

    @Test("bad sizes are refused, each with a reason", arguments: [
        ("", "is empty"), ("0", "is zero"), ("-4K", "does not start with a number"), ("4X", "unknown unit"),
        ("KiB", "does not start with a number"), ("99999999999999999999G", "too large"), ("8589934592G", "too large"),
        ("1.1K", "not a whole number of bytes"), ("0.5", "not a whole number of bytes"), ("4KB", "ambiguous"), ("1mb", "ambiguous"),
        ("1.", "no digit after the decimal point"), (".5K", "does not start with a number"), ("+8K", "does not start with a number"),
        (" 4K", "does not start with a number"), ("4 K", "unknown unit"), ("1.0000000001K", "more than 9 decimals"),
    ])
    func refuse(text: String, reason: String) {
        #expect(ByteSize(parsing: text) == nil)
        do throws(ByteSizeError) {
            let size = try ByteSize(validating: text)
            Issue.record("'\(text)' parsed as \(size.bytes) bytes")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.text == text)
        }
    }

    @Test("descriptions")
    func describe() {
        #expect(ByteSize(bytes: 64).description == "64B")
        #expect(ByteSize(bytes: 4096).description == "4KiB")
        #expect(ByteSize(bytes: 64 << 20).description == "64MiB")
        #expect(ByteSize(bytes: 1500).description == "1500B")
    }

    @Test("the last-level cache is the largest data cache of the highest level in sysfs")
    func cacheFromSysfs() throws {
        let root = NSTemporaryDirectory() + "dmabench-cache-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let entries: [(Int, String, String)] = [(1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "512K"), (3, "Unified", "32768K")]
        for (index, entry) in entries.enumerated() {
            let directory = "\(root)/index\(index)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "\(entry.0)\n".write(toFile: directory + "/level", atomically: true, encoding: .utf8)
            try "\(entry.1)\n".write(toFile: directory + "/type", atomically: true, encoding: .utf8)
            try "\(entry.2)\n".write(toFile: directory + "/size", atomically: true, encoding: .utf8)
        }
        let info = CacheInfo.read(root: root)
        #expect(info.lastLevel == 3)
        #expect(info.lastLevelBytes == 32 << 20)
        #expect(CacheInfo.read(root: root + "/missing") == CacheInfo(lastLevelBytes: nil, lastLevel: nil))
    }

    @Test("cold working sets cover 4x the cache; hot ones one slot per in-flight operation")
    func workingSetPlan() {
        let cache = 32 << 20
        #expect(WorkingSet.slotCount(operation: .copy, stride: 4096, queueDepth: 32, hot: false, cacheBytes: cache) * 4096 * 2 >= 4 * cache)
        #expect(WorkingSet.slotCount(operation: .fill, stride: 4096, queueDepth: 32, hot: false, cacheBytes: cache) * 4096 >= 4 * cache)
        #expect(WorkingSet.slotCount(operation: .copy, stride: 4096, queueDepth: 32, hot: true, cacheBytes: cache) == 32)
        #expect(WorkingSet.slotCount(operation: .copy, stride: 64 << 20, queueDepth: 4, hot: false, cacheBytes: cache) == 4)
        #expect(WorkingSet.slotCount(operation: .copy, stride: 64 << 20, queueDepth: 64, hot: false, cacheBytes: cache) == 8)
    }

    @Test("a working set's slots are distinct, page aligned and pre-filled")
    func workingSetMemory() throws {
        let set = try WorkingSet(operation: .copy, size: 100, queueDepth: 3, hot: true, cache: CacheInfo(lastLevelBytes: 1 << 20, lastLevel: 3))
        #expect(set.slots == 3 && set.stride == PageSize.bytes && set.bytes == 2 * 3 * PageSize.bytes)
        let source = try #require(set.sourceSlot(4))
        #expect(UInt(bitPattern: source) % UInt(PageSize.bytes) == 0)
        #expect(set.destinationSlot(1) == set.destinationSlot(4))
        #expect(set.destinationSlot(0) != set.destinationSlot(1))
        #expect(source.load(as: UInt8.self) == 0x5A)
        #expect(set.destinationSlot(0).load(as: UInt8.self) == 0)
    }

    @Test("nearest-rank percentiles")
    func percentiles() {
        let values = Percentiles((1...100).map { UInt64($0) }.shuffled())
        #expect(values.value(at: 0.5) == 50)
        #expect(values.value(at: 0.99) == 99)
        #expect(values.value(at: 1) == 100)
        #expect(Percentiles([7]).value(at: 0.99) == 7)
        #expect(Percentiles([]).value(at: 0.5) == nil)
    }

    @Test("throughput arithmetic and number formatting")
    func arithmetic() {
        let measured = Throughput(operations: 1_000_000, size: 4096, seconds: 2)
        #expect(measured.gigabytesPerSecond == 2.048)
        #expect(measured.megaOperationsPerSecond == 0.5)
        #expect(measured.nanosecondsPerOperation == 2000)
        #expect(Format.fixed(2.0449, 2) == "2.04")
        #expect(Format.fixed(-0.5, 1) == "-0.5")
        #expect(Format.fixed(3, 0) == "3")
        #expect(Format.fixed(1.005, 3) == "1.005")
        #expect(Format.duration(nanoseconds: 850) == "850 ns")
        #expect(Format.duration(nanoseconds: 12_345) == "12.3 µs")
    }

    @Test("the raw baseline runs, on one thread and on several")
    func baseline() throws {
        let set = try WorkingSet(operation: .copy, size: 4096, queueDepth: 4, hot: true)
        let one = RawBaseline.run(.copy, on: set, seconds: 0.05)
        #expect(one.operations > 0 && one.seconds >= 0.05)
        let two = RawBaseline.runParallel(.copy, on: [set, try set.sibling()], seconds: 0.05)
        #expect(two.operations > 0 && two.seconds > 0)
    }
}
