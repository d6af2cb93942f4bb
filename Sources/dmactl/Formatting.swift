import DMAHost
import DriverHost

/// Text helpers shared by the subcommands.
enum Formatting {
    /// Pads every column but the last to its widest cell.
    static func table(_ rows: [[String]], indent: String = "  ") -> [String] {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (index, cell) in row.enumerated() where index < columns - 1 { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            indent + row.enumerated().map { index, cell in
                index < row.count - 1 ? cell + String(repeating: " ", count: widths[index] - cell.count) : cell
            }.joined(separator: "  ")
        }
    }

    /// Milliseconds with two decimals, e.g. "0.46 ms".
    static func milliseconds(_ duration: Duration) -> String {
        let micro = microseconds(duration)
        let hundredths = (micro + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) ms"
    }

    /// Whole microseconds.
    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    /// A device type as JSON: number and name.
    static func typeJSON(_ type: DMADeviceType) -> [(String, JSON)] {
        [("type", .integer(type.rawValue)), ("typeName", .string(type.description))]
    }

    /// A driver as JSON.
    static func driverJSON(_ driver: LoadedDriver, deviceCount: Int) -> JSON {
        .object([
            ("name", .string(driver.name)), ("version", .string(driver.version)), ("abi", .string(driver.abiVersion)),
            ("path", .string(driver.path)), ("source", .string(driver.candidate.source.rawValue)),
            ("deviceTypes", .array(driver.deviceTypes.map { .integer($0.rawValue) })),
            ("devices", .integer(deviceCount)),
        ])
    }

    /// A device as JSON.
    static func deviceJSON(_ device: HostedDevice) -> JSON {
        let info = device.info
        return .object([("id", .string(device.id)), ("driver", .string(device.driverName))] + typeJSON(info.type) + [
            ("capabilities", .array(info.capabilities.names.map(JSON.string))),
            ("alignment", .integer(info.alignment)),
            ("maxTransferSize", .optional(info.maxTransferSize)),
            ("maxSGE", .optional(info.maxSGE)),
            ("description", .string(info.description)),
        ])
    }

    /// A rejection as JSON.
    static func rejectionJSON(_ rejection: PluginRejection) -> JSON {
        .object([
            ("path", .string(rejection.candidate.path)), ("source", .string(rejection.candidate.source.rawValue)),
            ("kind", .string(rejection.kind.rawValue)), ("driver", .optional(rejection.driverName)),
            ("reason", .string(rejection.reason)),
            ("diagnostics", .array(rejection.diagnostics.map(diagnosticJSON))),
        ])
    }

    /// A diagnostic line as JSON.
    static func diagnosticJSON(_ line: DriverDiagnostic) -> JSON {
        .object([("subject", .string(line.subject)), ("ok", .bool(line.ok)), ("detail", .string(line.detail))])
    }

    /// Completion fault counts as a JSON object: one member per kind (all kinds, in order) and the total.
    static func faultsJSON(_ counts: CompletionFaultCounts) -> JSON {
        .object(CompletionFault.allCases.map { ($0.rawValue, .integer(counts[$0])) } + [("total", .integer(counts.total))])
    }
}
