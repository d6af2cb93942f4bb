import CDMAHostABI
import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A plugin's `struct dmahost_driver_ops`, checked field by field and copied.
///
/// Only the prefix the plugin declared (`size`) is read, so a table from an older minor
/// version is never over-read; the copy's missing fields stay zero (NULL).
struct DriverTable: @unchecked Sendable {
    // @unchecked Sendable: the copy holds C function pointers and the plugin's opaque
    // `driver_ctx`, both valid for the life of the process; calls through them are
    // serialised by LoadedDriver.

    /// The names of the built-in backends; every other plugin is a vendor plugin.
    static let builtInDriverNames: Set<String> = ["cpu", "rdma", "dmaengine"]
    /// Most device types a plugin may declare.
    static let maximumDeviceTypes: UInt32 = 64

    /// Copy of the plugin's table (prefix of `size` bytes, rest zero).
    let ops: dmahost_driver_ops
    /// Where the plugin's own table is (what its entry returned): two drivers with the same
    /// address share one plugin state, which the host never finalises twice.
    let address: UnsafeRawPointer
    /// Driver name, checked (see ``validateName(_:)``).
    let name: String
    /// Driver version.
    let version: String
    /// Declared device types, checked against the vendor/built-in rule.
    let deviceTypes: [DMADeviceType]
    /// Domain id prefixes declared besides the name (ABI 1.1 `domain_id_prefixes`; empty for
    /// a 1.0 table), checked (see ``DomainIDPolicy/prefixProblem(_:driver:)``).
    let domainIDPrefixes: [String]
    /// Configuration variables the driver reads (ABI 1.2; empty for an older table), checked
    /// (see ``ConfigVariableReader``).
    let configVariables: [DMAConfigVariable]
    /// ABI version the plugin was built for.
    let abiMajor: UInt32, abiMinor: UInt32

    /// Smallest table the host accepts for ABI 1.0 (`DMAHOST_DRIVER_OPS_MIN_SIZE_1_0`).
    static let minimumSize: Int =
        (MemoryLayout<dmahost_driver_ops>.offset(of: \.fini) ?? MemoryLayout<dmahost_driver_ops>.size - 8)
        + MemoryLayout<UnsafeRawPointer>.size

    /// True when `name` may only serve built-in device types.
    static func isBuiltIn(_ name: String) -> Bool { builtInDriverNames.contains(name) }

    /// Checks what the entry returned.
    static func validate(_ pointer: UnsafePointer<dmahost_driver_ops>?) -> Result<DriverTable, PluginTableError> {
        guard let pointer else {
            return .failure(PluginTableError(kind: .entryReturnedNull,
                message: "dmahost_driver_entry returned NULL: the plugin refused to load (its log messages above say why)"))
        }
        let raw = UnsafeRawPointer(pointer)
        let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<UInt32>.size
        let size = raw.loadUnaligned(as: Int.self)
        guard size >= headerSize else {
            return .failure(PluginTableError(kind: .tableTooSmall,
                message: "ops table declares \(size) bytes, less than its own header (\(headerSize) bytes); set ops.size = sizeof(struct dmahost_driver_ops)"))
        }
        let major = raw.loadUnaligned(fromByteOffset: MemoryLayout<Int>.size, as: UInt32.self)
        let minor = raw.loadUnaligned(fromByteOffset: MemoryLayout<Int>.size + 4, as: UInt32.self)
        let hostMajor = UInt32(DMAHOST_DRIVER_ABI_MAJOR), hostMinor = UInt32(DMAHOST_DRIVER_ABI_MINOR)
        guard major == hostMajor else {
            let age = major > hostMajor ? "newer" : "older"
            let remedy = major > hostMajor ? "use a newer DMAHost or rebuild the plugin against this host's dmahost/driver.h"
                                           : "rebuild the plugin against this host's dmahost/driver.h"
            return .failure(PluginTableError(kind: .abiMismatch,
                message: "plugin was built for driver ABI \(major).\(minor), \(age) than this host's \(hostMajor).\(hostMinor); \(remedy)"))
        }
        guard size >= minimumSize else {
            return .failure(PluginTableError(kind: .tableTooSmall,
                message: "ops table declares \(size) bytes, ABI \(major).0 needs at least \(minimumSize); set ops.size = sizeof(struct dmahost_driver_ops)"))
        }
        var ops = dmahost_driver_ops()
        withUnsafeMutableBytes(of: &ops) { destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: min(size, destination.count)))
        }
        return build(ops, size: size, address: raw, major: major, minor: minor)
    }

    private static func build(_ ops: dmahost_driver_ops, size: Int, address: UnsafeRawPointer, major: UInt32,
                              minor: UInt32) -> Result<DriverTable, PluginTableError> {
        let name: String, version: String
        switch PluginStrings.field(ops.name, "ops.name") {
        case .success(let value): name = value
        case .failure(let error): return .failure(error)
        }
        if let problem = validateName(name) { return .failure(PluginTableError(kind: .invalidTable, message: problem)) }
        switch PluginStrings.field(ops.version, "ops.version of driver '\(name)'") {
        case .success(let value): version = value
        case .failure(let error): return .failure(error)
        }
        guard ops.probe != nil else {
            return .failure(PluginTableError(kind: .invalidTable, message: "driver '\(name)': ops.probe is NULL; probe is required"))
        }
        guard ops.open != nil else {
            return .failure(PluginTableError(kind: .invalidTable, message: "driver '\(name)': ops.open is NULL; open is required"))
        }
        let count = ops.device_type_count
        guard count > 0, count <= maximumDeviceTypes else {
            return .failure(PluginTableError(kind: .invalidTable,
                message: "driver '\(name)': device_type_count is \(count); declare 1...\(maximumDeviceTypes) device types"))
        }
        guard let typePointer = ops.device_types else {
            return .failure(PluginTableError(kind: .invalidTable,
                message: "driver '\(name)': device_types is NULL but device_type_count is \(count)"))
        }
        let types = (0..<Int(count)).map { DMADeviceType(rawValue: typePointer[$0]) }
        for type in types {
            if let problem = typeProblem(type, driver: name) {
                return .failure(PluginTableError(kind: .invalidDeviceType, message: problem))
            }
        }
        let prefixes: [String]
        switch readPrefixes(ops.domain_id_prefixes, driver: name) {
        case .success(let value): prefixes = value
        case .failure(let error): return .failure(error)
        }
        let variables: [DMAConfigVariable]
        switch ConfigVariableReader.read(ops, tableSize: size, driver: name) {
        case .success(let value): variables = value
        case .failure(let error): return .failure(error)
        }
        return .success(DriverTable(ops: ops, address: address, name: name, version: version, deviceTypes: types, domainIDPrefixes: prefixes,
                                    configVariables: variables, abiMajor: major, abiMinor: minor))
    }

    /// Reads the NULL-terminated `domain_id_prefixes` array (at most
    /// ``DomainIDPolicy/maximumPrefixes`` entries are read), checking each entry.
    private static func readPrefixes(_ list: UnsafePointer<UnsafePointer<CChar>?>?, driver: String) -> Result<[String], PluginTableError> {
        guard let list else { return .success([]) }
        var prefixes: [String] = []
        for index in 0...DomainIDPolicy.maximumPrefixes {
            guard let entry = list[index] else { return .success(prefixes) }
            guard index < DomainIDPolicy.maximumPrefixes else { break }
            let prefix: String
            switch PluginStrings.field(entry, "driver '\(driver)': ops.domain_id_prefixes[\(index)]") {
            case .success(let value): prefix = value
            case .failure(let error): return .failure(error)
            }
            if let problem = DomainIDPolicy.prefixProblem(prefix, driver: driver) {
                return .failure(PluginTableError(kind: .invalidTable, message: "driver '\(driver)': \(problem)"))
            }
            if prefix != driver && !prefixes.contains(prefix) { prefixes.append(prefix) }
        }
        return .failure(PluginTableError(kind: .invalidTable,
            message: "driver '\(driver)': ops.domain_id_prefixes has more than \(DomainIDPolicy.maximumPrefixes) entries (or lacks its NULL terminator)"))
    }

    /// A driver name is 1...64 characters of `A-Z a-z 0-9 . _ -`: it is the prefix of device
    /// ids and appears in selections, where `:`, `,`, `^` and glob characters have meaning.
    static func validateName(_ name: String) -> String? {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed else {
            return "driver name '\(name)' is invalid: use 1 to 64 characters among A-Z a-z 0-9 . _ -"
        }
        return nil
    }

    /// The rule on device types: built-in backends (cpu, rdma, dmaengine) serve only RDMA, DMA
    /// or ACCEL; every other (vendor) plugin serves only vendor types 1000...1999.
    static func typeProblem(_ type: DMADeviceType, driver: String) -> String? {
        if isBuiltIn(driver) {
            guard type.isBuiltIn else {
                return "built-in driver '\(driver)' declares device type \(type.rawValue); built-in backends serve RDMA (\(DMADeviceType.rdma.rawValue)), DMA (\(DMADeviceType.dma.rawValue)) or ACCEL (\(DMADeviceType.accel.rawValue)) only"
            }
        } else {
            guard type.isVendor else {
                let what = type.isBuiltIn ? "the built-in type \(type)" : "type \(type.rawValue)"
                return "vendor driver '\(driver)' declares \(what); vendor plugins must use types \(DMADeviceType.vendorRange.lowerBound)...\(DMADeviceType.vendorRange.upperBound) (SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START...END)"
            }
        }
        return nil
    }
}
