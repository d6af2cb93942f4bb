import CDMAHostABI
import DMAHost

/// Reads and checks the device array a plugin's `probe` returned.
enum DeviceInfoReader {
    /// Most devices one plugin may report.
    static let maximumDevices: UInt32 = 4096
    /// Size of `struct dmahost_device_info` in ABI 1.0 (the smallest accepted record).
    static let minimumRecordSize = MemoryLayout<dmahost_device_info>.size

    /// Alignment of a record: every record of the array starts at a multiple of it.
    static let recordAlignment = MemoryLayout<dmahost_device_info>.alignment

    /// Decodes `count` records at `base`. Records are `size` bytes apart, the size the plugin
    /// declared in the first record (a newer minor version may append fields). That size is a
    /// multiple of the record's alignment, as `sizeof` of any version of the struct is, so that
    /// every record is read at an aligned address.
    static func read(_ base: UnsafePointer<dmahost_device_info>?, count: UInt32, driver: String) -> Result<[DMADeviceInfo], PluginTableError> {
        guard count > 0 else { return .success([]) }
        guard count <= maximumDevices else {
            return .failure(PluginTableError(kind: .invalidTable, message: "driver '\(driver)': probe reported \(count) devices, more than \(maximumDevices)"))
        }
        guard let base else {
            return .failure(PluginTableError(kind: .invalidTable, message: "driver '\(driver)': probe reported \(count) devices but a NULL array"))
        }
        let stride = base.pointee.size
        guard stride >= minimumRecordSize, stride <= 1 << 16, stride % recordAlignment == 0 else {
            return .failure(PluginTableError(kind: .invalidTable,
                message: "driver '\(driver)': device record size is \(stride) bytes, ABI 1.0 needs \(minimumRecordSize) or more, a multiple of \(recordAlignment); set info.size = sizeof(struct dmahost_device_info)"))
        }
        var result: [DMADeviceInfo] = []
        let raw = UnsafeRawPointer(base)
        for index in 0..<Int(count) {
            let record = raw.advanced(by: index * stride).assumingMemoryBound(to: dmahost_device_info.self).pointee
            guard record.size == stride else {
                return .failure(PluginTableError(kind: .invalidTable,
                    message: "driver '\(driver)': device record \(index) has size \(record.size), record 0 has \(stride); all records must have the same size"))
            }
            let id: String, description: String
            switch PluginStrings.field(record.id, "driver '\(driver)': device \(index) id") {
            case .success(let value): id = value
            case .failure(let error): return .failure(error)
            }
            switch PluginStrings.field(record.description, "driver '\(driver)': device '\(id)' description") {
            case .success(let value): description = value
            case .failure(let error): return .failure(error)
            }
            result.append(DMADeviceInfo(
                id: id, type: DMADeviceType(rawValue: record.type), description: description,
                capabilities: DMACapabilities(rawValue: record.capabilities),
                maxTransferSize: record.max_transfer_size == 0 ? nil : record.max_transfer_size,
                alignment: max(record.alignment, 1),
                maxSGE: record.max_sge == 0 ? nil : record.max_sge))
        }
        return .success(result)
    }
}

/// The rules every device a plugin reports must follow, given the devices already served.
enum DevicePolicy {
    /// Characters a device id may not contain: they have a meaning in selections. Checked per
    /// Unicode scalar, so that a combining mark after one (`" \u{301}"`, one `Character`) does
    /// not hide it; so are control characters (below U+0020).
    static let forbiddenIDCharacters: Set<Unicode.Scalar> = [",", "^", "*", "?", "[", "]", " ", "\t", "\n"]

    /// Checks `devices` of driver `table` against each other and against `existing`
    /// (device id → driver name of devices other plugins already serve). In this order:
    /// duplicates, id form, type.
    static func check(_ devices: [DMADeviceInfo], driver: String, declaredTypes: [DMADeviceType],
                      existing: [String: String]) -> PluginTableError? {
        var seen = Set<String>()
        for device in devices {
            guard seen.insert(device.id).inserted else {
                return PluginTableError(kind: .duplicateDevice,
                    message: "driver '\(driver)' reports device id '\(device.id)' twice; device ids must be unique")
            }
            if let owner = existing[device.id] {
                return PluginTableError(kind: .duplicateDevice,
                    message: "device id '\(device.id)' of driver '\(driver)' is already provided by driver '\(owner)'; device ids must be unique in the process")
            }
        }
        let prefix = driver + ":"
        for device in devices {
            guard device.id.hasPrefix(prefix), device.id.count > prefix.count else {
                return PluginTableError(kind: .invalidDeviceID,
                    message: "device id '\(device.id)' of driver '\(driver)' must have the form '\(prefix)<device>' (e.g. '\(prefix)0')")
            }
            if let bad = device.id.unicodeScalars.first(where: { forbiddenIDCharacters.contains($0) || $0.value < 0x20 }) {
                return PluginTableError(kind: .invalidDeviceID,
                    message: "device id '\(device.id)' of driver '\(driver)' contains '\(bad)'; ids may not contain spaces , ^ * ? [ ]")
            }
        }
        for device in devices {
            if let problem = DriverTable.typeProblem(device.type, driver: driver) {
                return PluginTableError(kind: .invalidDeviceType, message: "device '\(device.id)': \(problem)")
            }
            guard declaredTypes.contains(device.type) else {
                return PluginTableError(kind: .invalidDeviceType,
                    message: "device '\(device.id)' has type \(device.type.rawValue), which driver '\(driver)' did not declare in device_types")
            }
        }
        return nil
    }
}
