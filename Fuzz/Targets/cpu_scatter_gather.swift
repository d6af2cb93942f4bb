import CDMAHostABI
import DMADriverKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `cpu_scatter_gather`: the CPU copy engine (Plugins/CPUAccel/CPUCopyEngine) end to end —
// the split of an operation into parts (EngineCore.submitParts, ScatterGather.advance) and
// the data path (ScatterGather.copy and fill) on worker threads.
//
// The input chooses an engine configuration, copy or fill, a byte count, and how the source
// and destination are cut into entries (zero-length entries anywhere, with NULL or bogus
// bases). Every entry is a heap block of its own size, so AddressSanitizer reports any access
// outside it. Checked: the completion runs exactly once, with 0; the destination holds the
// source bytes in order (or the fill byte everywhere); the source is unchanged; a ring that is
// full with nothing in flight frees itself within seconds.

/// Engines that split differently: one worker (never splits), three workers splitting from
/// 1 byte (one-page parts, often empty ones), two workers splitting from 4 KiB in poll mode.
private let engines: [CopyEngine] = {
    let configurations = [
        CopyEngineConfiguration(workers: 1, queueDepth: 16, idleSpinNanoseconds: 1_000),
        CopyEngineConfiguration(workers: 3, queueDepth: 16, splitThreshold: 1, minimumPartSize: 1, batchLimit: 2,
                                batchBytes: 4096, idleSpinNanoseconds: 1_000),
        CopyEngineConfiguration(workers: 2, queueDepth: 8, completionMode: .poll, splitThreshold: 4096,
                                minimumPartSize: 1024, idleSpinNanoseconds: 1_000),
    ]
    return configurations.map { configuration in
        do throws(DMAError) { return try CopyEngine(configuration: configuration) } catch { fatalError("engine: \(error)") }
    }
}()

/// What the completion of one operation recorded.
private final class Completion: Sendable {
    let calls = Atomic<Int>(0)
    let status = Atomic<Int32>(0)
}

private let onComplete: spdk_memory_domain_data_cpl_cb = { argument, status in
    guard let argument else { fatalError("completion without its argument") }
    let completion = Unmanaged<Completion>.fromOpaque(argument).takeUnretainedValue()
    completion.status.store(status, ordering: .relaxed)
    completion.calls.add(1, ordering: .releasing)
}

/// Waits until the operation completed (polling the engine in poll mode).
private func wait(for completion: Completion, on engine: CopyEngine) {
    while completion.calls.load(ordering: .acquiring) == 0 {
        if engine.poll() == 0 { sched_yield() }
    }
    require(completion.calls.load(ordering: .acquiring) == 1, "completion called more than once")
    require(completion.status.load(ordering: .relaxed) == 0, "completion status \(completion.status.load(ordering: .relaxed))")
}

/// Submits, retrying while the ring is full. With nothing else in flight that is transient: a
/// worker may still hold a cell of the previous operation after its completion ran (the ring
/// releases cells out of order, and refuses while the next position is held; DescriptorRing).
/// Full for five seconds means a cell was never released.
private func submitWhileFull(_ submit: () throws(SubmitError) -> Void) throws(SubmitError) {
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    while true {
        do throws(SubmitError) {
            return try submit()
        } catch .queueFull {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            require(now.tv_sec - start.tv_sec < 5, "the ring stays full with no operation in flight")
            sched_yield()
        }
    }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCPUScatterGather(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let engine = engines[Int(input.byte()) % engines.count]
    let isFill = input.byte() % 4 == 0
    let seed = input.byte()
    let total = input.int(in: 1...(input.bool() ? 4096 : 96 << 10))
    let contents = pattern(seed: seed, count: total)
    let fillBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 1)
    defer { fillBytes.deallocate() }
    fillBytes.initializeMemory(as: UInt8.self, repeating: seed)
    let source = Blocks(lengths: cuts(of: total, maximumCount: 24, &input), emptyBaseSeed: seed, contents: contents)
    let destination = Blocks(lengths: cuts(of: total, maximumCount: 24, &input), emptyBaseSeed: seed &+ 1,
                             contents: pattern(seed: seed &+ 1, count: total))
    defer { source.free(); destination.free() }
    let sourceList = source.iovecs, destinationList = destination.iovecs

    let completion = Completion()
    let argument = Unmanaged.passRetained(completion).toOpaque()
    defer { Unmanaged<Completion>.fromOpaque(argument).release() }
    sourceList.withUnsafeBufferPointer { sourceEntries in
        destinationList.withUnsafeBufferPointer { destinationEntries in
            do {
                if isFill {
                    let fill = try IOVecContract.checkMemzero(completion: onComplete, buffers: destinationEntries.baseAddress,
                                                              count: UInt32(destinationEntries.count))
                    require(fill.length == total, "checked fill of \(fill.length) bytes, built \(total)")
                    try submitWhileFull { () throws(SubmitError) in try engine.submit(fill, pattern: seed, argument: argument) }
                } else {
                    let copy = try IOVecContract.checkCopy(completion: onComplete, source: sourceEntries.baseAddress,
                                                           sourceCount: UInt32(sourceEntries.count),
                                                           destination: destinationEntries.baseAddress,
                                                           destinationCount: UInt32(destinationEntries.count))
                    require(copy.length == total, "checked copy of \(copy.length) bytes, built \(total)")
                    try submitWhileFull { () throws(SubmitError) in try engine.submit(copy, argument: argument) }
                }
            } catch {
                fatalError("a valid operation was refused: \(error)")
            }
        }
    }
    wait(for: completion, on: engine)
    if let first = destination.firstDifference(from: isFill ? UnsafeRawBufferPointer(fillBytes) : contents) {
        require(false, "destination differs from the reference first at byte \(first) of \(total) (fill: \(isFill))")
    }
    require(source.firstDifference(from: contents) == nil, "the source changed")
    return 0
}
