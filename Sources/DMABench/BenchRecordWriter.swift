import FoundationEssentials

/// The machine-readable outputs of `dmactl bench`: JSON lines (one ``BenchRecord`` object per
/// line, keys sorted) and CSV (a header, then one row per record; RFC 4180 quoting).
public enum BenchRecordFormat: String, Sendable, CaseIterable {
    /// One JSON object per line.
    case jsonl
    /// Comma-separated values with a header line.
    case csv

    /// The lines that start an output (the CSV header; nothing for JSON lines).
    public var header: [String] {
        switch self {
        case .jsonl: []
        case .csv: [BenchRecord.CodingKeys.allCases.map(\.rawValue).joined(separator: ",")]
        }
    }

    /// The record as one line, without the newline.
    public func line(_ record: BenchRecord) -> String {
        switch self {
        case .jsonl:
            // Encoding a record of strings, numbers and booleans cannot fail; an empty object
            // would still be valid JSON.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let bytes = (try? encoder.encode(record)) ?? Data("{}".utf8)
            return String(decoding: bytes, as: UTF8.self)
        case .csv:
            return record.cells.map { Self.csvField($0.value) }.joined(separator: ",")
        }
    }

    /// One CSV field: numbers as written in JSON, booleans `true`/`false`, null empty, text
    /// quoted when it holds a comma, a quote or a line break.
    static func csvField(_ cell: BenchRecord.Cell) -> String {
        switch cell {
        case .integer(let value): return String(value)
        case .number(let value): return value.isFinite ? String(value) : ""
        case .flag(let value): return value ? "true" : "false"
        case .null: return ""
        case .text(let value):
            guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
            return "\"" + value.replacing("\"", with: "\"\"") + "\""
        }
    }
}
