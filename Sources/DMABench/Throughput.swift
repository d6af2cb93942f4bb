/// Operations completed in a measured interval.
public struct Throughput: Sendable, Equatable {
    /// Operations counted.
    public var operations: Int
    /// Bytes per operation.
    public var size: Int
    /// Length of the interval in seconds.
    public var seconds: Double

    /// Creates a measurement.
    public init(operations: Int, size: Int, seconds: Double) {
        self.operations = operations
        self.size = size
        self.seconds = seconds
    }

    /// Decimal gigabytes (1e9 bytes) per second.
    public var gigabytesPerSecond: Double { seconds > 0 ? Double(operations) * Double(size) / seconds / 1e9 : 0 }
    /// Millions of operations per second.
    public var megaOperationsPerSecond: Double { seconds > 0 ? Double(operations) / seconds / 1e6 : 0 }
    /// Average time per operation in nanoseconds (the inverse of the rate; at queue depth 1
    /// this is the full round trip).
    public var nanosecondsPerOperation: Double { operations > 0 ? seconds * 1e9 / Double(operations) : 0 }
}
