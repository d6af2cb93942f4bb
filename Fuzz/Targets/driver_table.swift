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
// NULL-terminated prefix list (or one without a terminator). The table is a heap block of just
// the bytes the host may read — the 16-byte header, or min(size, sizeof) — and every string
// and array a block of its own, so AddressSanitizer reports an over-read.
//
// Checked: the verdict's kind is the one the documented order of checks gives; an accepted
// table holds the strings, types and (deduplicated, without the name) prefixes given, follows
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
                               prefixes: [CStringExpectation]?, prefixesTerminated: Bool) -> PluginRejection.Kind? {
    if size < 16 { return .tableTooSmall }
    if major != UInt32(DMAHOST_DRIVER_ABI_MAJOR) { return .abiMismatch }
    if size < DriverTable.minimumSize { return .tableTooSmall }
    guard case .text(let driver) = name else { return .invalidTable }
    guard isValidName(driver), case .text = version, hasProbe, hasOpen else { return .invalidTable }
    guard (1...64).contains(typeCount), let types else { return .invalidTable }
    if !types.allSatisfy({ typeAllowed($0, driver: driver) }) { return .invalidDeviceType }
    // A table declaring fewer bytes than reach the prefix list (ABI 1.0) has none.
    let prefixEnd = MemoryLayout<Ops>.offset(of: \Ops.domain_id_prefixes)! + MemoryLayout<UnsafeRawPointer>.size
    guard let prefixes, UInt(bitPattern: size) >= UInt(prefixEnd) else { return nil }
    for prefix in prefixes.prefix(16) {
        guard case .text(let text) = prefix else { return .invalidTable }
        let reserved = text == "system" || text.hasPrefix("SPDK_") || (builtInNames.contains(text) && text != driver)
        if !isValidName(text) || reserved { return .invalidTable }
    }
    return prefixesTerminated && prefixes.count <= 16 ? nil : .invalidTable
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

    // The bytes the host may read: the header, or the declared prefix of the table.
    let readable = max(16, Int(min(UInt(bitPattern: tableSize), UInt(full))))
    let block = UnsafeMutableRawPointer.allocate(byteCount: readable, alignment: 8)
    defer { block.deallocate() }
    withUnsafeBytes(of: &ops) { block.copyMemory(from: $0.baseAddress!, byteCount: min(readable, full)) }

    let expected = expectedRejection(size: tableSize, major: ops.abi_major, name: name.expected, version: version.expected,
                                     hasProbe: ops.probe != nil, hasOpen: ops.open != nil, types: types, typeCount: typeCount,
                                     prefixes: prefixes, prefixesTerminated: prefixesTerminated)
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

