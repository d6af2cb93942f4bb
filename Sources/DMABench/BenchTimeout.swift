import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The error of a benchmark run whose device stopped completing operations.
enum BenchTimeout {
    /// An `ETIMEDOUT` error naming what is outstanding: how many operations, which operation
    /// and size, and how long the run waited.
    static func error(operation: BenchOperation, size: Int, outstanding: Int, queueDepth: Int, completed: Int,
                      timeoutNanoseconds: UInt64) -> DMAError {
        let what = operation == .read ? "pull" : operation.copiesData ? "push" : "memzero"
        let seconds = Format.fixed(Double(timeoutNanoseconds) / 1e9, 1)
        return .system(errno: ETIMEDOUT,
            "\(outstanding) of \(queueDepth) operations in flight did not complete within \(seconds) s "
            + "(\(what) of \(size) bytes each; \(completed) operations had completed). The run was abandoned: "
            + "completions that come later are counted as late, and the buffers stay allocated in case the device "
            + "still writes them. The device hung, or its driver never calls the completion")
    }
}
