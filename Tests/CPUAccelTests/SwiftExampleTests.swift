import DMAHost
import DriverHost
import Foundation
import Testing

// README.md, "Using DMAHost from Swift", shows the code between the two marker lines below,
// character for character; the test at the end of this file checks it, and runs it.

// example: begin
/// Pushes 64 KiB into the domain of the CPU device `cpu:0` and pulls it back in two pieces;
/// then sends a request whose sides differ, which the domain refuses.
func cpuRoundTrip() async throws -> (intact: Bool, refusal: String) {
    let host = DriverHost()
    _ = host.loadDefault()  // the plugins next to libDMAHost.so, then DMAHOST_DRIVER_PATH
    defer { host.closeAll() }
    guard let cpu = try host.open(deviceID: "cpu:0").first else { return (false, "cpu:0 opened no domain") }

    let local = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 4096)
    let device = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 4096)
    defer { local.deallocate(); device.deallocate() }
    local.initializeMemory(as: UInt8.self, repeating: 0xA5)

    try await cpu.push(into: device, from: UnsafeRawBufferPointer(local))  // local memory → the domain
    try await cpu.memzero(local)
    let halves = [UnsafeRawBufferPointer(rebasing: device[..<(32 << 10)]), UnsafeRawBufferPointer(rebasing: device[(32 << 10)...])]
    try await cpu.pull(from: halves, into: [local], timeout: .seconds(10))  // the domain → local memory, gathered
    let intact = local.allSatisfy { $0 == 0xA5 }

    do {
        try await cpu.push(into: device, from: UnsafeRawBufferPointer(rebasing: local[..<4096]))
        return (intact, "")
    } catch {
        // "push into MemoryDomain("cpu:0", ACCEL) refused: source and destination totals
        // differ: 4096 vs 65536 bytes; …" (error.errno is EINVAL)
        return (intact, error.message)
    }
}
// example: end

@Suite("The Swift example of README.md")
struct SwiftExampleTests {
    @Test("runs: the data come back intact and the refusal names both totals")
    func runs() async throws {
        let outcome = try await cpuRoundTrip()
        #expect(outcome.intact)
        #expect(outcome.refusal.contains("refused: source and destination totals differ: 4096 vs 65536 bytes"), "\(outcome.refusal)")
    }

    @Test("README.md shows this file's example as it is")
    func readmeShowsIt() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: here, encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(source.range(of: "// example: begin\n")), end = try #require(source.range(of: "// example: end\n"))
        let example = String(source[begin.upperBound..<end.lowerBound])
        #expect(example.count > 200)
        #expect(readme.contains("```swift\nimport DMAHost\nimport DriverHost\n\n" + example + "```\n"),
                "README.md's Swift example differs from Tests/CPUAccelTests/SwiftExampleTests.swift: copy it over")
    }
}
