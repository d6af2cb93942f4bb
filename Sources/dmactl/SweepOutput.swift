import ArgumentParser
import DMABench
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `dmactl bench` prints on stdout for a sweep.
enum SweepOutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// One aligned row per point.
    case table
    /// One JSON object per point (``BenchRecord``).
    case jsonl
    /// A CSV header, then one row per point.
    case csv
}

/// A file the records of a sweep go to (--jsonl, --csv): written and flushed point by point,
/// so that an interrupted sweep keeps the points it finished.
final class RecordFile {
    private let stream: UnsafeMutablePointer<FILE>
    private let format: BenchRecordFormat

    /// Creates (or truncates) `path` and writes the format's header.
    /// - Throws: a usage ``Failure`` naming the path and the reason when it cannot be created.
    init(path: String, format: BenchRecordFormat) throws(Failure) {
        guard let stream = fopen(path, "w") else {
            throw Failure(.usage, "--\(format.rawValue) \(path): cannot create the file: \(String(cString: strerror(errno)))")
        }
        self.stream = stream
        self.format = format
        for line in format.header { put(line) }
    }

    deinit { fclose(stream) }

    /// Appends the record's line.
    func write(_ record: BenchRecord) { put(format.line(record)) }

    private func put(_ line: String) {
        fputs(line + "\n", stream)
        fflush(stream)
    }
}
