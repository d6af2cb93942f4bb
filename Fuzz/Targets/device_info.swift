import CDMAHostABI
import DMAHost

// Fuzz target `device_info`: DeviceInfoReader.read and DevicePolicy.check
// (Sources/DriverHost/DeviceInfoReader.swift), the decoding and the rules of the device array
// a plugin's probe returns.
//
// The input chooses the count (0, a few, the limit 4096 and beyond, any), a NULL array or not,
// the record size (sizeof, larger multiples of 8, sizes that are not, too small, too large),
// and each record: its size field, id and description strings (see CStringArena), type,
// alignment, capabilities and limits. The array is one heap block of count × size bytes, each
// string a block of its own, so AddressSanitizer reports an over-read.
//
// Checked: read refuses exactly what the documented rules refuse, in order, and otherwise
// returns each record's fields (limits of 0 as none, alignment at least 1); accepted record
// sizes are multiples of the record's alignment; check then refuses, with the documented kind,
// a repeated id, an id another driver serves, one not of the form `<driver>:<device>` or
// containing a space, control character or one of `, ^ * ? [ ]`, and an undeclared or
// disallowed type.

private typealias Record = dmahost_device_info

/// The reader's verdict that the rules give: nil for "accepted".
private func readRejected(count: UInt32, isNull: Bool, stride: Int, sizes: [Int], ids: [CStringExpectation],
                          descriptions: [CStringExpectation]) -> Bool {
    if count == 0 { return false }
    if count > 4096 || isNull { return true }
    let size = MemoryLayout<Record>.size, alignment = MemoryLayout<Record>.alignment
    if stride < size || stride > 1 << 16 || stride % alignment != 0 { return true }
    for index in 0..<Int(count) {
        guard sizes[index] == stride, case .text = ids[index], case .text = descriptions[index] else { return true }
    }
    return false
}

/// The kind DevicePolicy.check should refuse with, nil for none.
private func policyRejection(_ devices: [DMADeviceInfo], driver: String, declared: [Int32],
                             existing: [String: String]) -> PluginRejection.Kind? {
    var seen = Set<String>()
    for device in devices {
        if !seen.insert(device.id).inserted || existing[device.id] != nil { return .duplicateDevice }
    }
    let forbidden = Set(", ^*?[]".unicodeScalars)
    for device in devices {
        let prefix = driver + ":"
        guard device.id.hasPrefix(prefix), device.id.count > prefix.count else { return .invalidDeviceID }
        if device.id.unicodeScalars.contains(where: { forbidden.contains($0) || $0.value < 0x20 }) { return .invalidDeviceID }
    }
    for device in devices where !typeAllowed(device.type.rawValue, driver: driver) || !declared.contains(device.type.rawValue) {
        return .invalidDeviceType
    }
    return nil
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeviceInfo(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let strings = CStringArena()
    let driver = ["cpu", "vendor-c", "rdma", "x"][input.int(in: 0...3)]
    let recordSize = MemoryLayout<Record>.size
    let count: UInt32 = switch input.byte() % 10 {
    case 0: 0
    case 1: 4096 + UInt32(input.int(in: 0...1))
    case 2: UInt32(truncatingIfNeeded: input.unsigned(bytes: 4))
    default: UInt32(input.int(in: 1...6))
    }
    let isNull = input.byte() % 16 == 0
    let stride: Int = switch input.byte() % 8 {
    case 0: recordSize + input.int(in: 1...15)
    case 1: recordSize - input.int(in: 1...recordSize)
    case 2: recordSize + 8 * input.int(in: 1...4)
    case 3: (1 << 16) + 8 * input.int(in: 0...1)
    default: recordSize
    }
    // Records the reader may reach: all of them for a usable size and count, else the first.
    let reachable = (stride >= recordSize && stride <= 1 << 16 && count <= 4096) ? Int(count) : 1
    let blockSize = max(recordSize, reachable * max(stride, 0))
    let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
    defer { block.deallocate() }
    var sizes: [Int] = [], ids: [CStringExpectation] = [], descriptions: [CStringExpectation] = [], records: [Record] = []
    for index in 0..<reachable {
        var record = Record()
        // Many records (the limit) repeat the first: the input describes a few.
        if index >= 6, let first = records.first {
            record = first
            ids.append(ids[0]); descriptions.append(descriptions[0])
        } else {
            let id = strings.make(&input, prefix: input.bool() ? driver + ":" : "")
            let description = strings.make(&input)
            record.id = id.pointer
            record.description = description.pointer
            ids.append(id.expected)
            descriptions.append(description.expected)
            record.type = deviceType(&input)
            record.alignment = input.bool() ? 0 : UInt32(truncatingIfNeeded: input.unsigned(bytes: 4))
            record.capabilities = input.unsigned(bytes: 8)
            record.max_transfer_size = input.bool() ? 0 : input.unsigned(bytes: 8)
            record.max_sge = input.bool() ? 0 : UInt32(truncatingIfNeeded: input.unsigned(bytes: 4))
        }
        record.size = index > 0 && input.byte() % 16 == 0 ? stride + 8 : stride
        sizes.append(record.size)
        records.append(record)
        withUnsafeBytes(of: &record) { bytes in
            (block + index * max(stride, 0)).copyMemory(from: bytes.baseAddress!, byteCount: min(recordSize, blockSize - index * max(stride, 0)))
        }
    }
    let base = isNull ? nil : UnsafePointer<Record>(OpaquePointer(block))
    let rejected = readRejected(count: count, isNull: isNull, stride: stride, sizes: sizes, ids: ids, descriptions: descriptions)
    switch DeviceInfoReader.read(base, count: count, driver: driver) {
    case .failure(let error):
        require(rejected && error.kind == .invalidTable, "records refused (\(error.kind): \(error.message)); the rules accept them")
    case .success(let devices):
        require(!rejected, "records of size \(stride), count \(count) accepted; the rules refuse them")
        require(count == 0 || stride % MemoryLayout<Record>.alignment == 0, "record size \(stride) accepted: records misaligned")
        require(devices.count == Int(count), "\(devices.count) devices read of \(count)")
        for (index, device) in devices.enumerated() {
            let record = records[index]
            require(.text(device.id) == ids[index] && .text(device.description) == descriptions[index], "device \(index): strings differ")
            require(device.type.rawValue == record.type && device.capabilities.rawValue == record.capabilities
                    && device.maxTransferSize == (record.max_transfer_size == 0 ? nil : record.max_transfer_size)
                    && device.maxSGE == (record.max_sge == 0 ? nil : record.max_sge)
                    && device.alignment == max(record.alignment, 1), "device \(index): fields differ from the record")
        }
        let declared = (0..<input.int(in: 0...3)).map { _ in deviceType(&input) } + devices.prefix(input.int(in: 0...2)).map(\.type.rawValue)
        let declaredTypes = declared.map(DMADeviceType.init(rawValue:))
        let existing = devices.isEmpty || input.byte() % 4 != 0 ? [:] : [devices[input.int(in: 0...(devices.count - 1))].id: "other"]
        let expected = policyRejection(devices, driver: driver, declared: declared, existing: existing)
        let problem = DevicePolicy.check(devices, driver: driver, declaredTypes: declaredTypes, existing: existing)
        require(problem?.kind == expected, "policy gave \(String(describing: problem)), the rules \(String(describing: expected)) for \(devices.map(\.id))")
    }
    return 0
}
