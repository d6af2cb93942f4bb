import CDMAHostABI
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Exports a Swift ``DMADeviceDriver`` through the C plugin ABI (`struct dmahost_driver_ops`).
///
/// A Swift plugin defines its entry symbol and delegates to ``entry(host:make:)``:
/// ```swift
/// @_cdecl("dmahost_driver_entry")
/// public func pluginEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
///     DriverExport.entry(host: host) { host throws(DMAError) in MyDriver(host: host) }
/// }
/// ```
public enum DriverExport {
    /// The addresses of the ops tables this plugin returned (one per entry call). driver.h
    /// makes a table valid for the life of the process and hosts may keep only a copy of it,
    /// so the plugin keeps every table reachable itself (otherwise LeakSanitizer reports the
    /// table and the driver it owns as lost).
    private static let exportedTables = Mutex<[UInt]>([])

    /// Builds the plugin's ops table around the driver `make` returns.
    /// - Parameters:
    ///   - host: The host table the entry received.
    ///   - make: Creates the driver, given the checked host table.
    /// - Returns: A table valid for the life of the process (the plugin keeps it reachable), or nil (after logging why through
    ///   the host, when possible) if the host's ABI is incompatible or `make` failed.
    public static func entry(
        host: UnsafePointer<dmahost_host_api>?,
        make: (HostAPI) throws(DMAError) -> any DMADeviceDriver
    ) -> UnsafePointer<dmahost_driver_ops>? {
        guard let host else { return nil }
        let api: HostAPI
        do throws(DMAError) {
            api = try HostAPI(host)
        } catch {
            host.pointee.log?(host.pointee.host_ctx, DriverLogLevel.error.rawValue, error.message)
            return nil
        }
        let driver: any DMADeviceDriver
        do throws(DMAError) {
            driver = try make(api)
        } catch {
            api.log(.error, "driver initialisation failed: \(error.message)")
            return nil
        }
        guard let table = ExportedDriver(driver: driver).makeTable() else { return nil }
        exportedTables.withLock { $0.append(UInt(bitPattern: table)) }
        return table
    }
}

/// Keeps a driver and the C copies of what it reported alive for the plugin's lifetime.
final class ExportedDriver: @unchecked Sendable {
    // @unchecked Sendable: the host calls the table's functions one at a time per plugin
    // (driver.h), so `devices` is never accessed concurrently.
    let driver: any DMADeviceDriver
    private var devices = CDeviceInfoArray()

    init(driver: any DMADeviceDriver) { self.driver = driver }

    /// Allocates the ops table (never freed: the host never unloads a plugin).
    func makeTable() -> UnsafePointer<dmahost_driver_ops>? {
        guard let raw = calloc(1, MemoryLayout<dmahost_driver_ops>.size) else { return nil }
        let ops = raw.bindMemory(to: dmahost_driver_ops.self, capacity: 1)
        let types = driver.deviceTypes
        let typeArray = UnsafeMutablePointer<Int32>.allocate(capacity: max(types.count, 1))
        for (index, type) in types.enumerated() { typeArray[index] = type.rawValue }
        ops.pointee.size = MemoryLayout<dmahost_driver_ops>.size
        ops.pointee.abi_major = UInt32(DMAHOST_DRIVER_ABI_MAJOR)
        ops.pointee.abi_minor = UInt32(DMAHOST_DRIVER_ABI_MINOR)
        ops.pointee.name = UnsafePointer(strdup(driver.name))
        ops.pointee.version = UnsafePointer(strdup(driver.version))
        ops.pointee.device_types = UnsafePointer(typeArray)
        ops.pointee.device_type_count = UInt32(types.count)
        let prefixes = driver.domainIDPrefixes
        if !prefixes.isEmpty {
            // NULL-terminated, never freed (like the table).
            let list = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: prefixes.count + 1)
            for (index, prefix) in prefixes.enumerated() { list[index] = UnsafePointer(strdup(prefix)) }
            list[prefixes.count] = nil
            ops.pointee.domain_id_prefixes = UnsafePointer(list)
        }
        let variables = driver.configVariables
        if !variables.isEmpty {
            // Never freed (like the table); strings duplicated, NULL for a computed default.
            let records = UnsafeMutablePointer<dmahost_config_variable>.allocate(capacity: variables.count)
            for (index, variable) in variables.enumerated() {
                records[index] = dmahost_config_variable(
                    size: MemoryLayout<dmahost_config_variable>.size, name: UnsafePointer(strdup(variable.name)),
                    default_value: variable.defaultValue.flatMap { UnsafePointer(strdup($0)) }, doc: UnsafePointer(strdup(variable.doc)))
            }
            ops.pointee.config_variables = UnsafePointer(records)
            ops.pointee.config_variable_count = UInt32(variables.count)
        }
        ops.pointee.driver_ctx = Unmanaged.passRetained(self).toOpaque()
        ops.pointee.probe = exportedProbe
        ops.pointee.open = exportedOpen
        ops.pointee.close = exportedClose
        ops.pointee.diagnose = exportedDiagnose
        ops.pointee.fini = exportedFini
        return UnsafePointer(ops)
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> ExportedDriver? {
        context.map { Unmanaged<ExportedDriver>.fromOpaque($0).takeUnretainedValue() }
    }

    func probe(_ out: UnsafeMutablePointer<UnsafePointer<dmahost_device_info>?>?, _ count: UnsafeMutablePointer<UInt32>?) throws(DMAError) {
        guard let out, let count else { throw .invalidArgument("probe: NULL output pointer") }
        let infos = try driver.probe()
        devices.replace(with: infos)
        out.pointee = devices.base
        count.pointee = UInt32(infos.count)
    }

    func release() {
        devices.replace(with: [])
    }
}

/// Copies `message` into a caller's C buffer of `length` bytes (the `err`/`err_len` pairs of
/// driver.h and host.h): truncated to fit and always NUL-terminated; nothing happens when
/// `buffer` is NULL or `length` is 0.
public func writeCString(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, length: Int) {
    guard let buffer, length > 0 else { return }
    message.withCString { source in
        let count = min(strlen(source), length - 1)
        memcpy(buffer, source, count)
        buffer[count] = 0
    }
}

private let exportedProbe: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafePointer<dmahost_device_info>?>?,
                                           UnsafeMutablePointer<UInt32>?, UnsafeMutablePointer<CChar>?, Int) -> Int32 = { context, out, count, err, errLength in
    guard let exported = ExportedDriver.from(context) else { return -EINVAL }
    do throws(DMAError) {
        try exported.probe(out, count)
        return 0
    } catch {
        writeCString(error.message, to: err, length: errLength)
        return error.negativeErrno
    }
}

private let exportedOpen: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32 = { context, device, err, errLength in
    guard let exported = ExportedDriver.from(context), let device else { return -EINVAL }
    do throws(DMAError) {
        try exported.driver.open(deviceID: String(cString: device))
        return 0
    } catch {
        writeCString(error.message, to: err, length: errLength)
        return error.negativeErrno
    }
}

private let exportedClose: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void = { context, device in
    guard let exported = ExportedDriver.from(context), let device else { return }
    exported.driver.close(deviceID: String(cString: device))
}

private let exportedDiagnose: @convention(c) (UnsafeMutableRawPointer?, dmahost_diagnostic_fn?, UnsafeMutableRawPointer?) -> Int32 = { context, emit, arg in
    guard let exported = ExportedDriver.from(context), let emit else { return -EINVAL }
    for line in exported.driver.diagnose() {
        line.subject.withCString { subject in
            line.detail.withCString { detail in emit(arg, subject, line.ok ? 1 : 0, detail) }
        }
    }
    return 0
}

private let exportedFini: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    guard let exported = ExportedDriver.from(context) else { return }
    exported.driver.shutdown()
    exported.release()
}
