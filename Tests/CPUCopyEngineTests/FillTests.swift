import CPUCopyEngine
import SeededRandom
import Testing

@Suite("CPU copy engine: fill and memzero")
struct FillTests {
    @Test("fill patterns cover exactly the destination list, through the caches or around them",
          arguments: [UInt8(0), 0x5A, 0xFF], [CacheControl.allocate, .bypass])
    func patterns(pattern: UInt8, cacheControl: CacheControl) throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(
            workers: 2, splitThreshold: 32 << 10, minimumPartSize: 8 << 10, cacheControl: cacheControl, bypassMinimumBytes: 1 << 10))
        var generator = SeededGenerator(seed: UInt64(pattern) + 1)
        for _ in 0..<20 {
            let total = Int.random(in: 1...100_000, using: &generator)
            let lengths = randomSegmentation(total: total, parts: Int.random(in: 1...6, using: &generator), using: &generator)
            let gaps = lengths.map { _ in Int.random(in: 0...40, using: &generator) }
            let sentinel: UInt8 = pattern == 0xEE ? 0x11 : 0xEE
            let buffer = SGBuffer(size: total + 41 * lengths.count + 1, fill: sentinel)
            buffer.carve(lengths: lengths, gaps: gaps)
            let log = CompletionLog(count: 1)
            try engine.submitFill(destination: buffer.list, destinationCount: buffer.listCount, pattern: pattern,
                                  callback: CompletionLog.callback, argument: log.argument(0))
            #expect(log.wait(for: 1))
            #expect(log.calls(0) == 1)
            #expect(log.status(0) == 0)
            #expect(buffer.gathered().allSatisfy { $0 == pattern })
            #expect(buffer.outsideBytes().allSatisfy { $0 == sentinel })
        }
        try engine.shutdown()
    }
}
