import CDMAHostABI
@_spi(CABI) import DMAHost
import DriverHost
import Foundation
import ProcessTestSupport
import SeededRandom
import Synchronization
import Testing

/// Where SwiftPM put the test binary, libDMAHost.so, the plugins and dmactl.
let buildDirectory: String = DriverSearch.installedPluginDirectories().first ?? "."
/// The CPU plugin built by this package.
let cpuPluginPath = buildDirectory + "/libdmahost-cpu.so"

/// A driver host that loaded the CPU plugin only.
func cpuHost() throws -> DriverHost {
    guard FileManager.default.fileExists(atPath: cpuPluginPath) else {
        throw TestFailure("\(cpuPluginPath) is missing: build the products first (swift build)")
    }
    let host = DriverHost()
    let outcomes = host.load(paths: [cpuPluginPath])
    for outcome in outcomes {
        if case .rejected(let rejection) = outcome { throw TestFailure("the CPU plugin was rejected: \(rejection)") }
    }
    return host
}

/// Opens cpu:0 of `host` and returns its domain.
func openCPU(_ host: DriverHost, _ device: String = "cpu:0") throws -> MemoryDomain {
    let domains = try host.open(deviceID: device)
    guard domains.count == 1, let domain = domains.first else { throw TestFailure("\(device) opened \(domains.count) domains") }
    return domain
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Memory carved into iovec entries with gaps between them; freed on deinit.
final class Segments: @unchecked Sendable {
    // @unchecked Sendable: handed to the device, read by the test only after completion.
    let bytes: UnsafeMutableRawBufferPointer
    let list: UnsafeMutableBufferPointer<iovec>

    init(lengths: [Int], gap: Int = 3, fill: UInt8 = 0) {
        let total = lengths.reduce(0, +) + gap * (lengths.count + 1)
        bytes = .allocate(byteCount: max(total, 1), alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: fill)
        list = .allocate(capacity: max(lengths.count, 1))
        var cursor = gap
        for (index, length) in lengths.enumerated() {
            list[index] = iovec(iov_base: bytes.baseAddress.map { $0 + cursor }, iov_len: length)
            cursor += length + gap
        }
    }

    deinit {
        bytes.deallocate()
        list.deallocate()
    }

    var count: Int { list.count }
    var iov: UnsafeMutableBufferPointer<iovec> { list }

    func fillRandom(using generator: inout SeededGenerator) {
        for entry in list {
            guard let base = entry.iov_base else { continue }
            for offset in 0..<entry.iov_len { base.storeBytes(of: UInt8.random(in: 0...255, using: &generator), toByteOffset: offset, as: UInt8.self) }
        }
    }

    /// The described bytes in order.
    func gathered() -> [UInt8] {
        list.flatMap { entry -> [UInt8] in
            guard let base = entry.iov_base else { return [] }
            return Array(UnsafeRawBufferPointer(start: base, count: entry.iov_len))
        }
    }

    /// The gap bytes (outside every entry).
    func gaps() -> [UInt8] {
        var inside = [Bool](repeating: false, count: bytes.count)
        for entry in list {
            guard let base = entry.iov_base, let start = bytes.baseAddress else { continue }
            for offset in (base - start)..<(base - start + entry.iov_len) { inside[offset] = true }
        }
        return (0..<bytes.count).filter { !inside[$0] }.map { bytes[$0] }
    }
}

/// Random lengths summing to `total` (zero-length entries included).
func randomLengths(total: Int, parts: Int, using generator: inout SeededGenerator) -> [Int] {
    var cuts = (0..<max(0, parts - 1)).map { _ in Int.random(in: 0...total, using: &generator) }.sorted()
    cuts.append(total)
    var previous = 0
    return cuts.map { cut in
        defer { previous = cut }
        return cut - previous
    }
}

/// Counts C completions per operation: the callback argument is the address of the
/// operation's two words (calls, rc).
final class Completions: @unchecked Sendable {
    // @unchecked Sendable: Atomics in memory this object owns.
    let count: Int
    private let words: UnsafeMutablePointer<Atomic<Int>>

    init(_ count: Int) {
        self.count = count
        words = .allocate(capacity: 2 * count)
        for index in 0..<(2 * count) { (words + index).initialize(to: Atomic(0)) }
    }

    deinit {
        words.deinitialize(count: 2 * count)
        words.deallocate()
    }

    func argument(_ index: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(words + 2 * index) }

    static let callback: spdk_memory_domain_data_cpl_cb = { argument, rc in
        guard let words = argument?.assumingMemoryBound(to: Atomic<Int>.self) else { return }
        (words + 1).pointee.store(Int(rc), ordering: .relaxed)
        words.pointee.wrappingAdd(1, ordering: .releasing)
    }

    func calls(_ index: Int) -> Int { words[2 * index].load(ordering: .acquiring) }
    func status(_ index: Int) -> Int32 { Int32(words[2 * index + 1].load(ordering: .relaxed)) }
    var completed: Int { (0..<count).reduce(0) { $0 + (calls($1) > 0 ? 1 : 0) } }

    /// Waits up to 60 s for `expected` completions.
    func wait(for expected: Int) -> Bool {
        for _ in 0..<60_000 {
            if completed >= expected { return true }
            usleep(1000)
        }
        return completed >= expected
    }
}

/// Runs `executable` (a path) with `arguments` and extra environment; returns status, stdout, stderr.
func runProgram(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws
    -> (status: Int32, stdout: String, stderr: String) {
    let result = try ChildProcess.run(executable, arguments, adding: extra)
    return (result.status, result.stdout, result.stderr)
}

/// dmactl, loading only the CPU plugin.
func dmactl(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProgram(buildDirectory + "/dmactl", arguments + ["--no-default-drivers", "--driver-dir", cpuPluginPath],
                   environment: environment)
}
