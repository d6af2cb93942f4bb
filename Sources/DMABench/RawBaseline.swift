import DMADriverKit
import DMASync
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The baseline every device number is compared with: plain `memcpy` (copy) or `memset`
/// (fill) loops over the same working set, the same slot rotation and the same sizes, on
/// the calling thread, or on several threads at once (the machine's ceiling).
public enum RawBaseline {
    /// Operations between two clock reads (reading the clock here costs 60–300 ns).
    static func batch(for size: Int) -> Int { max(1, min(4096, (256 << 10) / max(size, 1))) }

    /// One thread: operation `j` on slot `j % slots` until `seconds` passed.
    public static func run(_ operation: BenchOperation, on set: WorkingSet, seconds: Double) -> Throughput {
        run(operation, on: set, seconds: seconds, firstSlot: 0, slotStep: 1)
    }

    /// One thread, as ``run(_:on:seconds:)``, in pieces of at most `every` seconds with `tick`
    /// called between them (for progress reports); the pieces add up to one measurement.
    public static func run(_ operation: BenchOperation, on set: WorkingSet, seconds: Double, every: Double,
                           _ tick: () -> Void) -> Throughput {
        var total = Throughput(operations: 0, size: set.size, seconds: 0)
        var left = seconds
        var firstSlot = 0
        repeat {
            let piece = run(operation, on: set, seconds: min(left, every), firstSlot: firstSlot, slotStep: 1)
            total.operations += piece.operations
            total.seconds += piece.seconds
            firstSlot &+= piece.operations
            left -= piece.seconds
            tick()
        } while left > 0
        return total
    }

    /// One thread per working set, all at once: what the machine's memory allows several
    /// threads (the ceiling of a device with that many workers). Each thread walks its own
    /// working set as ``run(_:on:seconds:)`` does, after one unmeasured pass over it, and all
    /// start together; the throughput is the sum of the threads' rates, each measured over
    /// its own `seconds`, so that a thread started late (or preempted) lowers the ceiling only
    /// by what it failed to copy.
    public static func runParallel(_ operation: BenchOperation, on sets: [WorkingSet], seconds: Double) -> Throughput {
        guard let size = sets.first?.size else { return Throughput(operations: 0, size: 0, seconds: 0) }
        let results = Results()
        let threads = sets.count
        runOnThreads(threads, name: "bench-raw") { index in
            let set = sets[index]
            for slot in 0..<set.slots { copyOrFill(operation, on: set, slot: slot) }
            results.ready.wrappingAdd(1, ordering: .acquiringAndReleasing)
            while results.ready.load(ordering: .acquiring) < threads { cpuRelax() }
            let measured = run(operation, on: set, seconds: seconds, firstSlot: 0, slotStep: 1)
            results.operations.wrappingAdd(measured.operations, ordering: .relaxed)
            // Operations per second, in millionths, summed over the threads.
            results.microRate.wrappingAdd(Int(Double(measured.operations) / max(measured.seconds, 1e-9) * 1e6), ordering: .relaxed)
        }
        let operations = results.operations.load(ordering: .relaxed)
        let rate = Double(results.microRate.load(ordering: .relaxed)) / 1e6
        return Throughput(operations: operations, size: size, seconds: rate > 0 ? Double(operations) / rate : 0)
    }

    /// The shared counters of ``runParallel(_:on:seconds:)``.
    private final class Results: Sendable {
        let operations = Atomic<Int>(0)
        let microRate = Atomic<Int>(0)
        let ready = Atomic<Int>(0)
    }

    /// One operation of the baseline on slot `slot`.
    @inline(__always)
    private static func copyOrFill(_ operation: BenchOperation, on set: WorkingSet, slot: Int) {
        let destination = set.destinationSlot(slot)
        if operation.copiesData, let source = set.sourceSlot(slot) {
            memcpy(destination, source, set.size)
        } else {
            memset(destination, 0, set.size)
        }
    }

    private static func run(_ operation: BenchOperation, on set: WorkingSet, seconds: Double, firstSlot: Int, slotStep: Int) -> Throughput {
        let size = set.size
        let batch = Self.batch(for: size)
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        var slot = firstSlot
        var operations = 0
        var now = start
        while now < deadline {
            for _ in 0..<batch {
                copyOrFill(operation, on: set, slot: slot)
                slot &+= slotStep
            }
            operations &+= batch
            now = monotonicNanoseconds()
        }
        return Throughput(operations: operations, size: size, seconds: Double(now - start) / 1e9)
    }
}
