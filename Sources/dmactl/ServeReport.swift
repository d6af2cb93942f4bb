#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `dmactl serve` prints: the line that says it listens, and the clients' counters, as
/// text or as JSON lines (one compact object each, `"command": "serve"`).
struct ServeReport: Codable {
    /// One client that connected, as the server describes it (`dmahost_ucx_server_describe`).
    struct Client: Codable {
        let peer: String
        let state: String
        let connectedAt: Int64
        let connectedSeconds: Double
        let allocations: UInt64
        let allocatedBytes: UInt64
        let bytesRead: UInt64
        let bytesWritten: UInt64
        let operations: UInt64
        let failedOperations: UInt64
    }

    let address: String
    let bytes: UInt64
    let access: String
    let clients: [Client]

    /// The device id clients open: `ucx:` and the address the server bound.
    var device: String { "ucx:\(address)" }

    /// Reads the server's JSON description; nil when it cannot be read.
    init?(description: String) {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let report = try? decoder.decode(ServeReport.self, from: Data(description.utf8)) else { return nil }
        self = report
    }

    /// The first line: `serving ucx:IP:PORT <bytes> bytes read-write|read-only`.
    var listeningLine: String { "serving \(device) \(bytes) bytes \(access)" }

    /// The clients as a table.
    var clientLines: [String] {
        var lines = ["clients of \(device): \(clients.count)"]
        guard !clients.isEmpty else { return lines }
        let header = ["peer", "state", "connected", "allocations", "allocated bytes", "read bytes", "written bytes", "operations", "failed"]
        let rows = clients.map { client in
            [client.peer, client.state, Self.seconds(client.connectedSeconds),
             "\(client.allocations)", "\(client.allocatedBytes)", "\(client.bytesRead)", "\(client.bytesWritten)",
             "\(client.operations)", "\(client.failedOperations)"]
        }
        lines += Formatting.table([header] + rows)
        return lines
    }

    /// Seconds with one decimal, e.g. "12.5 s".
    private static func seconds(_ value: Double) -> String {
        let tenths = Int64((max(value, 0) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// One compact JSON object: the listening event (`device`, `bytes`, `access`) or the clients.
    func jsonLine(event: String) -> String {
        struct Line: Encodable {
            let schemaVersion = JSONOutput.schemaVersion
            let command = "serve"
            let event: String
            let device: String
            let bytes: UInt64
            let access: String
            let clients: [Client]?
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = Line(event: event, device: device, bytes: bytes, access: access, clients: event == "listening" ? nil : clients)
        return (try? encoder.encode(line)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
