@testable import CPUCopyEngine
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One copy between random layouts, checked against the reference (the source bytes in order).
private func checkRandomCopy(engine: CopyEngine, total: Int, seed: UInt64) throws {
    var generator = SeededGenerator(seed: seed)
    let sourceParts = Int.random(in: 1...7, using: &generator)
    let destinationParts = Int.random(in: 1...9, using: &generator)
    let sourceLengths = randomSegmentation(total: total, parts: sourceParts, using: &generator)
    let destinationLengths = randomSegmentation(total: total, parts: destinationParts, using: &generator)
    let sourceGaps = sourceLengths.map { _ in Int.random(in: 0...63, using: &generator) }
    let destinationGaps = destinationLengths.map { _ in Int.random(in: 0...63, using: &generator) }

    let source = SGBuffer(size: total + 64 * sourceParts + 64)
    for index in 0..<source.bytes.count { source.bytes[index] = UInt8.random(in: 0...255, using: &generator) }
    source.carve(lengths: sourceLengths, gaps: sourceGaps)
    let destination = SGBuffer(size: total + 64 * destinationParts + 64, fill: 0xEE)
    destination.carve(lengths: destinationLengths, gaps: destinationGaps)

    let log = CompletionLog(count: 1)
    try engine.submitCopy(destination: destination.list, destinationCount: destination.listCount,
                          source: source.list, sourceCount: source.listCount,
                          callback: CompletionLog.callback, argument: log.argument(0))
    #expect(log.wait(for: 1, engine: engine), "copy of \(total) bytes did not complete")
    #expect(log.calls(0) == 1)
    #expect(log.status(0) == 0)
    let expected = source.gathered()
    let written = destination.gathered()
    #expect(written == expected, "seed \(seed): \(sourceLengths) -> \(destinationLengths)")
    #expect(destination.outsideBytes().allSatisfy { $0 == 0xEE }, "bytes outside the destination list were written")
}

@Suite("CPU copy engine: copies")
struct CopyTests {
    @Test("random scatter-gather layouts match the reference copy", arguments: [
        (1, CompletionMode.worker, CacheControl.auto), (3, .worker, .auto), (2, .poll, .auto), (2, .worker, .bypass), (1, .poll, .bypass),
    ])
    func randomLayouts(workers: Int, mode: CompletionMode, cacheControl: CacheControl) throws {
        // Under bypass, parts of 1 KiB or more are written with non-temporal stores.
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(
            workers: workers, completionMode: mode, splitThreshold: 16 << 10, minimumPartSize: 4 << 10,
            cacheControl: cacheControl, bypassMinimumBytes: 1 << 10))
        var generator = SeededGenerator(seed: UInt64(workers) * 1000 + (mode == .poll ? 7 : 0))
        for round in 0..<60 {
            let total = round % 10 == 0 ? Int.random(in: 64 << 10...300 << 10, using: &generator)
                                        : Int.random(in: 1...9000, using: &generator)
            try checkRandomCopy(engine: engine, total: total, seed: generator.next())
        }
        try engine.shutdown()
    }

    @Test("3 source segments into 5 destination segments at odd alignments")
    func threeIntoFive() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 2))
        let source = SGBuffer(size: 4096)
        for index in 0..<source.bytes.count { source.bytes[index] = UInt8(truncatingIfNeeded: index &* 7 &+ 3) }
        source.carve(lengths: [1000, 1, 777], gaps: [3, 5, 11])
        let destination = SGBuffer(size: 4096, fill: 0xEE)
        destination.carve(lengths: [13, 0, 500, 1200, 65], gaps: [1, 2, 3, 5, 7])
        let log = CompletionLog(count: 1)
        try engine.submitCopy(destination: destination.list, destinationCount: 5, source: source.list, sourceCount: 3,
                              callback: CompletionLog.callback, argument: log.argument(0))
        #expect(log.wait(for: 1))
        #expect(log.status(0) == 0)
        #expect(destination.gathered() == source.gathered())
        #expect(destination.outsideBytes().allSatisfy { $0 == 0xEE })
        try engine.shutdown()
    }

    @Test("a destination shorter or longer than the source is refused and never completes", arguments: [127, 129])
    func destinationOfAnotherLength(destinationTotal: Int) throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1))
        let source = SGBuffer(size: 256)
        source.carve(lengths: [100, 28], gaps: [0, 0])
        let destination = SGBuffer(size: 256, fill: 0xEE)
        destination.carve(lengths: [64, 0, destinationTotal - 64], gaps: [0, 0, 0])
        let log = CompletionLog(count: 1)
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitCopy(destination: destination.list, destinationCount: 3, source: source.list, sourceCount: 2,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        #expect(SubmitError.invalidArgument.negativeErrno == -EINVAL)
        try engine.shutdown()
        #expect(log.calls(0) == 0)
        #expect(destination.gathered().allSatisfy { $0 == 0xEE })
    }

    @Test("invalid lists and a missing callback are refused with the errnos of dmahost/iovec.h")
    func invalidArguments() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 1))
        let buffer = SGBuffer(size: 64)
        buffer.carve(lengths: [64], gaps: [0])
        let log = CompletionLog(count: 1)
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitCopy(destination: nil, destinationCount: 1, source: buffer.list, sourceCount: 1,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        var nullBase = iovec(iov_base: nil, iov_len: 64)
        #expect(throws: SubmitError.badAddress) {
            try engine.submitCopy(destination: buffer.list, destinationCount: 1, source: &nullBase, sourceCount: 1,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        #expect(SubmitError.badAddress.negativeErrno == -EFAULT)
        var tooLong = iovec(iov_base: buffer.list[0].iov_base, iov_len: -1)
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitFill(destination: &tooLong, destinationCount: 1, pattern: 0,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitCopy(destination: buffer.list, destinationCount: 1, source: buffer.list, sourceCount: 1,
                                  callback: nil, argument: nil)
        }
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitFill(destination: buffer.list, destinationCount: -1, pattern: 0,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        try engine.shutdown()
        #expect(log.calls(0) == 0)
    }

    @Test("operations of 0 bytes are refused (a completion would claim bytes moved); empty entries among others are skipped")
    func emptyOperations() throws {
        let engine = try CopyEngine(configuration: CopyEngineConfiguration(workers: 2))
        let buffer = SGBuffer(size: 64, fill: 0xEE)
        buffer.carve(lengths: [0, 0, 0], gaps: [0, 5, 9])
        let log = CompletionLog(count: 2)
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitCopy(destination: nil, destinationCount: 0, source: nil, sourceCount: 0,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitCopy(destination: buffer.list, destinationCount: 3, source: buffer.list, sourceCount: 3,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        #expect(throws: SubmitError.invalidArgument) {
            try engine.submitFill(destination: buffer.list, destinationCount: 3, pattern: 1,
                                  callback: CompletionLog.callback, argument: log.argument(0))
        }
        let mixed = SGBuffer(size: 64, fill: 0xEE)
        mixed.carve(lengths: [0, 5, 0, 3, 0], gaps: [1, 2, 0, 4, 0])
        try engine.submitFill(destination: mixed.list, destinationCount: 5, pattern: 1,
                              callback: CompletionLog.callback, argument: log.argument(1))
        #expect(log.wait(for: 1))
        #expect(log.calls(0) == 0)
        #expect(log.calls(1) == 1 && log.status(1) == 0)
        #expect(mixed.gathered() == [UInt8](repeating: 1, count: 8))
        #expect(buffer.outsideBytes().allSatisfy { $0 == 0xEE })
        #expect(mixed.outsideBytes().allSatisfy { $0 == 0xEE })
        try engine.shutdown()
    }

    @Test("a large copy is split across the workers and completes once", arguments: [CompletionMode.worker, .poll])
    func splitCopy(mode: CompletionMode) throws {
        let configuration = CopyEngineConfiguration(workers: 4, completionMode: mode, splitThreshold: 1 << 20, minimumPartSize: 256 << 10)
        let engine = try CopyEngine(configuration: configuration)
        #expect(EngineCore(configuration: configuration).partCount(8 << 20) == 4)
        #expect(EngineCore(configuration: configuration).partCount((1 << 20) - 1) == 1)
        let total = (8 << 20) + 12345
        let source = SGBuffer(size: total + 4096)
        var generator = SeededGenerator(seed: 42)
        for index in stride(from: 0, to: source.bytes.count - 7, by: 8) {
            source.bytes.storeBytes(of: generator.next(), toByteOffset: index, as: UInt64.self)
        }
        source.carve(lengths: [3 << 20, 0, 1, total - (3 << 20) - 1], gaps: [17, 0, 3, 1])
        let destination = SGBuffer(size: total + 4096, fill: 0xEE)
        destination.carve(lengths: [1, 5 << 20, total - (5 << 20) - 1, 0], gaps: [0, 63, 2, 0])
        let log = CompletionLog(count: 1)
        try engine.submitCopy(destination: destination.list, destinationCount: 4, source: source.list, sourceCount: 4,
                              callback: CompletionLog.callback, argument: log.argument(0))
        #expect(log.wait(for: 1, engine: engine))
        try engine.shutdown()
        #expect(log.calls(0) == 1)
        #expect(log.status(0) == 0)
        #expect(destination.gathered() == source.gathered())
        #expect(destination.outsideBytes().allSatisfy { $0 == 0xEE })
    }
}
