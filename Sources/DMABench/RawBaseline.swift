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

    /// `threads` threads at once, each on its own share of the slots (thread `t` uses slots
    /// `t`, `t + threads`, …). Throughput is the sum of their operations over the longest
    /// thread's time.
    public static func runParallel(_ operation: BenchOperation, on set: WorkingSet, seconds: Double, threads: Int) -> Throughput {
        let results = Results()
        runOnThreads(threads, name: "bench-raw") { index in
            results.ready.wrappingAdd(1, ordering: .acquiringAndReleasing)
            while results.ready.load(ordering: .acquiring) < threads { sched_yield() }
            let measured = run(operation, on: set, seconds: seconds, firstSlot: index, slotStep: threads)
            results.operations.wrappingAdd(measured.operations, ordering: .relaxed)
            results.longest.max(Int(measured.seconds * 1e9), ordering: .relaxed)
        }
        return Throughput(operations: results.operations.load(ordering: .relaxed), size: set.size,
                          seconds: Double(results.longest.load(ordering: .relaxed)) / 1e9)
    }

    /// The shared counters of ``runParallel(_:on:seconds:threads:)``.
    private final class Results: Sendable {
        let operations = Atomic<Int>(0)
        let longest = Atomic<Int>(0)
        let ready = Atomic<Int>(0)
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
                let destination = set.destinationSlot(slot)
                if operation.copiesData, let source = set.sourceSlot(slot) {
                    memcpy(destination, source, size)
                } else {
                    memset(destination, 0, size)
                }
                slot &+= slotStep
            }
            operations &+= batch
            now = monotonicNanoseconds()
        }
        return Throughput(operations: operations, size: size, seconds: Double(now - start) / 1e9)
    }
}
