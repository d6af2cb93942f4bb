import CDMAHostABI
import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `driver_table`: DriverTable.validate (Sources/DriverHost/DriverTable.swift), the
// check of the `struct dmahost_driver_ops` a plugin's entry returns.
//
// The input writes a table field by field: `size` (the struct's, ABI 1.0's minimum, one less,
// the header's, any value), the ABI version, name and version strings (NULL, unterminated,
// invalid UTF-8, too long, words that reach deeper rules, random bytes), device types, function
// pointers (NULL, or functions that stop the fuzzer if validation ever calls them) and the
// NULL-terminated prefix list (or one without a terminator), and the configuration variables
// of ABI 1.2 (counts up to and past 64, a NULL array, record sizes too small, misaligned, huge
// or differing between records, names valid, invalid and repeated, NULL defaults). The table is a heap block of just
// the bytes the host may read — the 16-byte header, or min(size, sizeof) — and every string
// and array a block of its own, so AddressSanitizer reports an over-read.
//
// Checked: the verdict's kind is the one the documented order of checks gives; an accepted
// table holds the strings, types, (deduplicated, without the name) prefixes and variables given, follows
// the naming and device-type rules, and its copy of ops is the declared prefix, zero after it.

private typealias Ops = dmahost_driver_ops

private let uncalledProbe: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafePointer<dmahost_device_info>?>?,
                                          UnsafeMutablePointer<UInt32>?, UnsafeMutablePointer<CChar>?, Int) -> Int32 = { _, _, _, _, _ in
    fatalError("validation called probe")
}
private let uncalledOpen: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32 = { _, _, _, _ in
    fatalError("validation called open")
}
private let uncalledFini: @convention(c) (UnsafeMutableRawPointer?) -> Void = { _ in fatalError("validation called fini") }

/// The first rule, in the documented order, that the table breaks; nil when it passes.
private func expectedRejection(size: Int, major: UInt32, name: CStringExpectation, version: CStringExpectation,
                               hasProbe: Bool, hasOpen: Bool, types: [Int32]?, typeCount: UInt32,
                               prefixes: [CStringExpectation]?, prefixesTerminated: Bool,
                               variables: VariablesInput) -> PluginRejection.Kind? {
    if size < 16 { return .tableTooSmall }
    if major != UInt32(DMAHOST_DRIVER_ABI_MAJOR) { return .abiMismatch }
    if size < DriverTable.minimumSize { return .tableTooSmall }
    guard case .text(let driver) = name else { return .invalidTable }
    guard isValidName(driver), case .text = version, hasProbe, hasOpen else { return .invalidTable }
    guard (1...64).contains(typeCount), let types else { return .invalidTable }
    if !types.allSatisfy({ typeAllowed($0, driver: driver) }) { return .invalidDeviceType }
    // A table declaring fewer bytes than reach the prefix list (ABI 1.0) has none.
    let prefixEnd = MemoryLayout<Ops>.offset(of: \Ops.domain_id_prefixes)! + MemoryLayout<UnsafeRawPointer>.size
    if let prefixes, UInt(bitPattern: size) >= UInt(prefixEnd) {
        for prefix in prefixes.prefix(16) {
            guard case .text(let text) = prefix else { return .invalidTable }
            let reserved = text == "system" || text.hasPrefix("SPDK_") || (builtInNames.contains(text) && text != driver)
            if !isValidName(text) || reserved { return .invalidTable }
        }
        if !prefixesTerminated || prefixes.count > 16 { return .invalidTable }
    }
    return variables.expectedVariables(tableSize: size) == nil ? .invalidTable : nil
}

/// The configuration variables (ABI 1.2) the input wrote into the table.
private struct VariablesInput {
    /// One record as written: its declared size and its three strings.
    struct Record {
        var size: Int
        var name: CStringExpectation
        var defaultValue: CStringExpectation
        var doc: CStringExpectation
    }
    var count: UInt32 = 0
    var arrayIsNull = false
    var records: [Record] = []

    /// Where the count ends: a table declaring fewer bytes has no variables.
    static let end = MemoryLayout<Ops>.offset(of: \Ops.config_variable_count)! + MemoryLayout<UInt32>.size

    /// What the documented rules make of the records: nil for a refusal, else the variables.
    func expectedVariables(tableSize: Int) -> [DMAConfigVariable]? {
        guard UInt(bitPattern: tableSize) >= UInt(Self.end), count > 0 else { return [] }
        guard count <= 64, !arrayIsNull, let first = records.first else { return nil }
        let minimum = MemoryLayout<dmahost_config_variable>.size
        guard first.size >= minimum, first.size <= 1 << 16, first.size % 8 == 0 else { return nil }
        var result: [DMAConfigVariable] = []
        for record in records {
            guard record.size == first.size, case .text(let name) = record.name, case .text(let doc) = record.doc else { return nil }
            let bytes = Array(name.utf8)
            let upper = UInt8(ascii: "A")...UInt8(ascii: "Z"), digits = UInt8(ascii: "0")...UInt8(ascii: "9")
            guard (1...128).contains(bytes.count), upper.contains(bytes[0]),
                  bytes.allSatisfy({ upper.contains($0) || digits.contains($0) || $0 == UInt8(ascii: "_") }),
                  !result.contains(where: { $0.name == name }) else { return nil }
            let defaultValue: String?
            switch record.defaultValue {
            case .null: defaultValue = nil
            case .text(let text): defaultValue = text
            default: return nil
            }
            result.append(DMAConfigVariable(name: name, defaultValue: defaultValue, doc: doc))
        }
        return result
    }
}

/// Writes configuration variables chosen by the input into `ops`: the records in one heap block
/// of exactly count × stride bytes (one record when the count is above 64: the host must refuse
/// before reading). The caller frees the returned block.
private func makeVariables(_ input: inout FuzzInput, strings: CStringArena, into ops: inout Ops) -> (VariablesInput, UnsafeMutableRawPointer?) {
    var variables = VariablesInput()
    guard input.bool() else { return (variables, nil) }
    variables.count = switch input.byte() % 8 {
    case 0: UInt32(truncatingIfNeeded: input.unsigned(bytes: 4))
    case 1: 65
    default: UInt32(input.int(in: 0...3))
    }
    ops.config_variable_count = variables.count
    if input.byte() % 16 == 0 {
        variables.arrayIsNull = true
        return (variables, nil)
    }
    let minimum = MemoryLayout<dmahost_config_variable>.size
    let stride = switch input.byte() % 8 {
    case 0: minimum - 8
    case 1: minimum + 1
    case 2: minimum + 8
    default: minimum
    }
    let written = variables.count <= 64 ? max(Int(variables.count), 1) : 1
    let block = UnsafeMutableRawPointer.allocate(byteCount: written * max(stride, minimum), alignment: 8)
    var previousName: (pointer: UnsafePointer<CChar>?, expected: CStringExpectation)?
    for index in 0..<written {
        let name: (pointer: UnsafePointer<CChar>?, expected: CStringExpectation)
        if let previous = previousName, input.byte() % 4 == 0 {
            name = previous
        } else {
            name = strings.make(&input, prefix: input.bool() ? "DMAHOST_" : "")
        }
        previousName = name
        let defaultValue = strings.make(&input), doc = strings.make(&input)
        let size = index > 0 && input.byte() % 8 == 0 ? stride + 8 : stride
        let record = dmahost_config_variable(size: size, name: name.pointer, default_value: defaultValue.pointer, doc: doc.pointer)
        withUnsafeBytes(of: record) { bytes in
            block.advanced(by: index * stride).copyMemory(from: bytes.baseAddress!, byteCount: min(minimum, max(stride, minimum)))
        }
        variables.records.append(.init(size: size, name: name.expected, defaultValue: defaultValue.expected, doc: doc.expected))
    }
    ops.config_variables = UnsafePointer(block.assumingMemoryBound(to: dmahost_config_variable.self))
    return (variables, block)
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDriverTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let strings = CStringArena()
    let full = MemoryLayout<Ops>.size
    let tableSize: Int = switch input.byte() % 7 {
    case 0: DriverTable.minimumSize
    case 1: DriverTable.minimumSize - 1
    case 2: 16 - input.int(in: 0...16)
    case 3: Int(bitPattern: UInt(input.unsigned(bytes: 8)))
    case 4: full + input.int(in: 0...64)
    default: full
    }
    var ops = Ops()
    ops.size = tableSize
    ops.abi_major = input.byte() % 8 == 0 ? UInt32(truncatingIfNeeded: input.unsigned(bytes: 4)) : UInt32(DMAHOST_DRIVER_ABI_MAJOR)
    ops.abi_minor = UInt32(truncatingIfNeeded: input.unsigned(bytes: 1))
    let name = strings.make(&input), version = strings.make(&input)
    ops.name = name.pointer
    ops.version = version.pointer
    let typeCount: UInt32 = input.byte() % 8 == 0 ? UInt32(truncatingIfNeeded: input.unsigned(bytes: 4)) : UInt32(input.int(in: 0...4))
    let types: [Int32]? = input.byte() % 8 == 0 ? nil : (0..<min(Int(typeCount), 64)).map { _ in deviceType(&input) }
    let typeBlock = types.map { types in UnsafeMutablePointer<Int32>.allocate(capacity: max(types.count, 1)) }
    defer { typeBlock?.deallocate() }
    if let typeBlock, let types { typeBlock.initialize(from: types, count: types.count) }
    ops.device_types = UnsafePointer(typeBlock)
    ops.device_type_count = typeCount
    ops.driver_ctx = UnsafeMutableRawPointer(bitPattern: 0xC0FFEE)
    let functions = input.byte()
    ops.probe = functions & 1 == 0 ? uncalledProbe : nil
    ops.open = functions & 2 == 0 ? uncalledOpen : nil
    ops.fini = functions & 4 == 0 ? uncalledFini : nil

    var prefixes: [CStringExpectation]? = nil
    var prefixesTerminated = true
    var prefixBlock: UnsafeMutablePointer<UnsafePointer<CChar>?>? = nil
    defer { prefixBlock?.deallocate() }
    if input.bool() {
        // A NULL entry ends the list; 17 entries without one exceed the 16 allowed, unterminated.
        var pointers: [UnsafePointer<CChar>?] = []
        var expectations: [CStringExpectation] = []
        if input.byte() % 8 == 0 {
            prefixesTerminated = false
            pointers = Array(repeating: strings.copy("p"), count: 17)
            expectations = Array(repeating: .text("p"), count: 17)
        } else {
            for _ in 0..<input.int(in: 0...3) {
                let string = strings.make(&input)
                guard let pointer = string.pointer else { break }
                pointers.append(pointer)
                expectations.append(string.expected)
            }
            pointers.append(nil)
        }
        prefixBlock = .allocate(capacity: pointers.count)
        prefixBlock?.initialize(from: pointers, count: pointers.count)
        prefixes = expectations
        ops.domain_id_prefixes = UnsafePointer(prefixBlock)
    }

    let (variables, variableBlock) = makeVariables(&input, strings: strings, into: &ops)
    defer { variableBlock?.deallocate() }

    // The bytes the host may read: the header, or the declared prefix of the table.
    let readable = max(16, Int(min(UInt(bitPattern: tableSize), UInt(full))))
    let block = UnsafeMutableRawPointer.allocate(byteCount: readable, alignment: 8)
    defer { block.deallocate() }
    withUnsafeBytes(of: &ops) { block.copyMemory(from: $0.baseAddress!, byteCount: min(readable, full)) }

    let expected = expectedRejection(size: tableSize, major: ops.abi_major, name: name.expected, version: version.expected,
                                     hasProbe: ops.probe != nil, hasOpen: ops.open != nil, types: types, typeCount: typeCount,
                                     prefixes: prefixes, prefixesTerminated: prefixesTerminated, variables: variables)
    switch DriverTable.validate(block.assumingMemoryBound(to: Ops.self)) {
    case .failure(let error):
        require(error.kind == expected, "table of size \(tableSize) refused as \(error.kind) (\(error.message)), expected \(String(describing: expected))")
        require(!error.message.isEmpty, "rejection without a reason")
    case .success(let table):
        require(expected == nil, "table of size \(tableSize) accepted, expected \(String(describing: expected))")
        require(.text(table.name) == name.expected && .text(table.version) == version.expected, "name or version differ")
        require(table.deviceTypes.map(\.rawValue) == types, "device types \(table.deviceTypes), given \(String(describing: types))")
        var wanted: [String] = []
        let prefixEnd = MemoryLayout<Ops>.offset(of: \Ops.domain_id_prefixes)! + MemoryLayout<UnsafeRawPointer>.size
        let declaredPrefixes = UInt(bitPattern: tableSize) >= UInt(prefixEnd) ? prefixes ?? [] : []
        for case .text(let prefix) in declaredPrefixes where prefix != table.name && !wanted.contains(prefix) { wanted.append(prefix) }
        require(table.domainIDPrefixes == wanted, "prefixes \(table.domainIDPrefixes), expected \(wanted)")
        require(table.configVariables == variables.expectedVariables(tableSize: tableSize),
                "variables \(table.configVariables), expected \(String(describing: variables.expectedVariables(tableSize: tableSize)))")
        require(table.address == UnsafeRawPointer(block), "the table's address is not the entry's")
        var copy = table.ops
        withUnsafeBytes(of: &copy) { copied in
            let declared = Int(min(UInt(bitPattern: tableSize), UInt(full)))
            require(memcmp(copied.baseAddress!, block, declared) == 0, "the copy differs from the declared prefix")
            require(copied[declared...].allSatisfy { $0 == 0 }, "the copy is not zero after the declared \(declared) bytes")
        }
    }
    return 0
}

