import DMABench

/// The `bench` document: the report's fields (``BenchReport/fields``), the domain measured, the
/// driver's lines about the device and the completion faults.
struct BenchReportJSON: Encodable {
    let report: BenchReport
    @Nullable var domain: String?
    let driverDiagnostics: [DiagnosticJSON]
    let completionFaults: FaultCountsJSON

    private enum Keys: String, CodingKey { case domain, driverDiagnostics, completionFaults }

    func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: DynamicKey.self)
        for (key, value) in report.fields {
            switch value {
            case .string(let text): try fields.encode(text, forKey: DynamicKey(key))
            case .integer(let number): try fields.encode(number, forKey: DynamicKey(key))
            case .number(let number):
                if let number = finite(number) { try fields.encode(number, forKey: DynamicKey(key)) } else { try fields.encodeNil(forKey: DynamicKey(key)) }
            case .bool(let flag): try fields.encode(flag, forKey: DynamicKey(key))
            case .null: try fields.encodeNil(forKey: DynamicKey(key))
            }
        }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(_domain, forKey: .domain)
        try container.encode(driverDiagnostics, forKey: .driverDiagnostics)
        try container.encode(completionFaults, forKey: .completionFaults)
    }
}
