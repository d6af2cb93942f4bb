import CDMAHostABI
import DMAHost

/// Reads and checks the configuration variables a plugin's table declares (ABI 1.2
/// `config_variables`, `config_variable_count`), without trusting them: counts, record sizes,
/// strings (NULL, unterminated, invalid UTF-8), names and repeats are all checked.
enum ConfigVariableReader {
    /// Size of `struct dmahost_config_variable` in ABI 1.2 (the smallest accepted record).
    static let minimumRecordSize = MemoryLayout<dmahost_config_variable>.size
    /// Alignment of a record: every record starts at a multiple of it.
    static let recordAlignment = MemoryLayout<dmahost_config_variable>.alignment
    /// The table size that covers both fields (a smaller table declares none).
    static let tableSizeCovering: Int =
        (MemoryLayout<dmahost_driver_ops>.offset(of: \.config_variable_count) ?? MemoryLayout<dmahost_driver_ops>.size)
        + MemoryLayout<UInt32>.size

    /// Decodes the variables of `ops`, a copy of a table that declared `tableSize` bytes. Records
    /// are `size` bytes apart, the size the first record declares (a newer minor version may
    /// append fields); every record must declare the same.
    static func read(_ ops: dmahost_driver_ops, tableSize: Int, driver: String) -> Result<[DMAConfigVariable], PluginTableError> {
        guard tableSize >= tableSizeCovering else { return .success([]) }
        let count = ops.config_variable_count
        guard count > 0 else { return .success([]) }
        func refuse(_ message: String) -> Result<[DMAConfigVariable], PluginTableError> {
            .failure(PluginTableError(kind: .invalidTable, message: "driver '\(driver)': \(message)"))
        }
        guard count <= UInt32(DMAConfigVariable.maximumCount) else {
            return refuse("config_variable_count is \(count), more than \(DMAConfigVariable.maximumCount)")
        }
        guard let base = ops.config_variables else { return refuse("config_variable_count is \(count) but config_variables is NULL") }
        let stride = base.pointee.size
        guard stride >= minimumRecordSize, stride <= 1 << 16, stride % recordAlignment == 0 else {
            return refuse("config variable record size is \(stride) bytes, ABI 1.2 needs \(minimumRecordSize) or more, a multiple of "
                          + "\(recordAlignment); set size = sizeof(struct dmahost_config_variable)")
        }
        var result: [DMAConfigVariable] = []
        let raw = UnsafeRawPointer(base)
        for index in 0..<Int(count) {
            let record = raw.advanced(by: index * stride).assumingMemoryBound(to: dmahost_config_variable.self).pointee
            guard record.size == stride else {
                return refuse("config variable record \(index) has size \(record.size), record 0 has \(stride); all records must have the same size")
            }
            let name: String, doc: String
            switch PluginStrings.field(record.name, "driver '\(driver)': config_variables[\(index)].name") {
            case .success(let value): name = value
            case .failure(let error): return .failure(error)
            }
            if let problem = DMAConfigVariable.nameProblem(name) { return refuse("config_variables[\(index)]: \(problem)") }
            guard !result.contains(where: { $0.name == name }) else { return refuse("config variable \(name) is declared twice") }
            var defaultValue: String?
            if record.default_value != nil {
                switch PluginStrings.field(record.default_value, "driver '\(driver)': \(name) default_value") {
                case .success(let value): defaultValue = value
                case .failure(let error): return .failure(error)
                }
            }
            switch PluginStrings.field(record.doc, "driver '\(driver)': \(name) doc") {
            case .success(let value): doc = value
            case .failure(let error): return .failure(error)
            }
            result.append(DMAConfigVariable(name: name, defaultValue: defaultValue, doc: doc))
        }
        return .success(result)
    }
}
