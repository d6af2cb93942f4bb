/// The text table of a `dmactl bench` run: one row per point, printed as soon as the point ends.
public enum SweepTable {
    /// Column titles and widths (right-aligned).
    static let columns: [(title: String, width: Int)] = [
        ("size", 8), ("qd", 5), ("GB/s", 8), ("Mops/s", 9), ("p50", 9), ("p99", 9), ("baseline GB/s", 14), ("ratio", 7),
    ]

    /// The header line, e.g. `    size    qd     GB/s …`.
    public static var header: String { row(columns.map(\.title)) }

    /// The row of one point.
    public static func row(_ record: BenchRecord) -> String {
        let latency = { (value: Int?) in value.map { Format.duration(nanoseconds: Double($0)) } ?? "n/a" }
        return row([
            ByteSize(bytes: record.sizeBytes).description, String(record.queueDepth), Format.fixed(record.gbPerS, 2),
            Format.fixed(record.millionOpsPerS, 3), latency(record.p50Ns), latency(record.p99Ns),
            Format.fixed(record.baselineGbPerS, 2), Format.fixed(record.ratio, 3),
        ]) + (record.verified ? "" : "  DATA NOT VERIFIED")
    }

    private static func row(_ cells: [String]) -> String {
        zip(cells, columns).map { cell, column in
            String(repeating: " ", count: max(0, column.width - cell.count)) + cell
        }.joined(separator: " ")
    }
}
