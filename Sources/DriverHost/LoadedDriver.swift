import DMASync
import CDMAHostABI
import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A plugin loaded by a ``DriverHost``, seen again as a ``DMADeviceDriver``.
///
/// Every method calls one function of the plugin's checked ops table, one call at a time
/// (driver.h promises plugins that the host serialises calls per plugin). Results are checked
/// like at load time: a plugin that returns garbage gets an error, not a crash.
public final class LoadedDriver: DMADeviceDriver, @unchecked Sendable {
    // @unchecked Sendable: the immutable fields are values or process-lifetime C pointers;
    // every call into the plugin and the mutable `finished` flag are under `callLock`.

    /// Driver name (also the prefix of its device ids).
    public let name: String
    /// Driver version string.
    public let version: String
    /// Device types the driver declared.
    public let deviceTypes: [DMADeviceType]
    /// Id prefixes its domains may use besides ``name`` (ABI 1.1 `domain_id_prefixes`).
    public let domainIDPrefixes: [String]
    /// Configuration variables the driver reads from the environment (ABI 1.2 `config_variables`).
    public let configVariables: [DMAConfigVariable]
    /// The file it was loaded from, and where that file was found.
    public let candidate: PluginCandidate
    /// ABI version the plugin was built for, "major.minor".
    public let abiVersion: String
    /// Time from the start of loading (ELF check, dlopen, entry, table checks) to a checked table.
    public let loadDuration: Duration
    /// Problems of the ownership and permission rule that `DMAHOST_ALLOW_INSECURE_PLUGINS=1`
    /// waived for this plugin (empty when it meets the rule).
    public let waivedTrustProblems: [String]

    let table: DriverTable
    let context: PluginContext
    private let callLock = Locked(false)
    private let measuredProbe = Locked(Duration.zero)

    /// Time the load-time `probe` took (call and checks of its records).
    public var probeDuration: Duration { measuredProbe.withLock { $0 } }

    func setProbeDuration(_ duration: Duration) { measuredProbe.withLock { $0 = duration } }

    init(table: DriverTable, context: PluginContext, loadDuration: Duration, waivedTrustProblems: [String]) {
        self.table = table
        self.context = context
        self.name = table.name
        self.version = table.version
        self.deviceTypes = table.deviceTypes
        self.domainIDPrefixes = table.domainIDPrefixes
        self.configVariables = table.configVariables
        self.candidate = context.candidate
        self.abiVersion = "\(table.abiMajor).\(table.abiMinor)"
        self.loadDuration = loadDuration
        self.waivedTrustProblems = waivedTrustProblems
    }

    /// The file it was loaded from: its canonical absolute path (``PluginCandidate/realPath``),
    /// whatever path led to it.
    public var path: String { candidate.realPath }

    /// Runs `body` under the call lock unless the driver was shut down, as a call into the
    /// plugin (see ``PluginContext/whileCalling(_:)``).
    private func call<T>(_ what: String, _ body: () throws(DMAError) -> T) throws(DMAError) -> T {
        let context = self.context
        return try callLock.withLock { (finished: inout Bool) throws(DMAError) -> T in
            guard !finished else { throw .noDevice("driver '\(name)' was shut down; \(what) is no longer possible") }
            return try context.whileCalling { () throws(DMAError) -> T in try body() }
        }
    }

    /// Calls the plugin's `probe` and decodes the devices (structure only, no policy).
    func probeRecords() -> Result<[DMADeviceInfo], PluginTableError> {
        let table = self.table
        let name = self.name
        let context = self.context
        do throws(DMAError) {
            return try call("probe") { () throws(DMAError) -> Result<[DMADeviceInfo], PluginTableError> in
                guard let probe = table.ops.probe else {
                    return .failure(PluginTableError(kind: .invalidTable, message: "ops.probe is NULL"))
                }
                var records: UnsafePointer<dmahost_device_info>?
                var count: UInt32 = 0
                var buffer = [CChar](repeating: 0, count: 1024)
                let status = PluginStatus(buffer.withUnsafeMutableBufferPointer { err in
                    probe(table.ops.driver_ctx, &records, &count, err.baseAddress, err.count)
                })
                context.check(status, "probe")
                if let error = status.error(context: "probe of driver '\(name)' failed") {
                    let text = buffer.withUnsafeBufferPointer { PluginStrings.message($0.baseAddress, capacity: $0.count) }
                    let detail = text.isEmpty ? "(the plugin gave no reason)" : text
                    return .failure(PluginTableError(kind: .probeFailed, message: "\(error.message): \(detail)"))
                }
                return DeviceInfoReader.read(records, count: count, driver: name)
            }
        } catch {
            return .failure(PluginTableError(kind: .probeFailed, message: error.message))
        }
    }

    /// Finds devices: calls the plugin's `probe`, decodes and checks the records (id form,
    /// uniqueness within the driver, types).
    public func probe() throws(DMAError) -> [DMADeviceInfo] {
        switch probeRecords() {
        case .failure(let error):
            throw error.kind == .probeFailed ? .ioError(error.message) : .invalidArgument(error.message)
        case .success(let devices):
            if let problem = DevicePolicy.check(devices, driver: name, declaredTypes: deviceTypes, existing: [:]) {
                throw .invalidArgument(problem.message)
            }
            return devices
        }
    }

    /// Opens a device: the plugin creates its domains through the host table.
    /// - Throws: the plugin's error, with the reason it wrote.
    public func open(deviceID: String) throws(DMAError) {
        let table = self.table
        let name = self.name
        let context = self.context
        try call("open") { () throws(DMAError) in
            guard let open = table.ops.open else { throw .notSupported("driver '\(name)' has no open") }
            var buffer = [CChar](repeating: 0, count: 1024)
            let status = PluginStatus(deviceID.withCString { id in
                buffer.withUnsafeMutableBufferPointer { err in open(table.ops.driver_ctx, id, err.baseAddress, err.count) }
            })
            context.check(status, "open '\(deviceID)'")
            let text = buffer.withUnsafeBufferPointer { PluginStrings.message($0.baseAddress, capacity: $0.count) }
            if let error = status.error(context: "open '\(deviceID)' (driver '\(name)')\(text.isEmpty ? "" : ": " + text)") {
                throw error
            }
        }
    }

    /// Closes a device; the plugin destroys its domains. Does nothing when the plugin has no `close`.
    public func close(deviceID: String) {
        let table = self.table
        _ = try? call("close") { () throws(DMAError) in
            guard let close = table.ops.close else { return }
            deviceID.withCString { close(table.ops.driver_ctx, $0) }
        }
    }

    /// The driver's self-diagnosis lines (empty when it has no `diagnose`).
    public func diagnose() -> [DriverDiagnostic] {
        let table = self.table
        let context = self.context
        let result = try? call("diagnose") { () throws(DMAError) -> [DriverDiagnostic] in
            guard let diagnose = table.ops.diagnose else { return [] }
            let collector = DiagnosticCollector()
            let rc = withExtendedLifetime(collector) {
                diagnose(table.ops.driver_ctx, { arg, subject, ok, detail in
                    guard let arg else { return }
                    let collector = Unmanaged<DiagnosticCollector>.fromOpaque(arg).takeUnretainedValue()
                    collector.lines.append(DriverDiagnostic(subject: PluginStrings.message(subject), ok: ok != 0,
                                                            detail: PluginStrings.message(detail)))
                }, Unmanaged.passUnretained(collector).toOpaque())
            }
            let status = PluginStatus(rc)
            context.check(status, "diagnose")
            if let error = status.error(context: "diagnose returned an error") {
                collector.lines.append(DriverDiagnostic(subject: "diagnose", ok: false, detail: error.message))
            }
            return collector.lines
        }
        return result ?? []
    }

    /// Calls the plugin's `fini` once; afterwards every call fails with ``DMAError/noDevice(_:)``.
    public func shutdown() {
        let table = self.table
        let context = self.context
        callLock.withLock { finished in
            guard !finished else { return }
            finished = true
            context.whileCalling { table.ops.fini?(table.ops.driver_ctx) }
        }
    }

    /// Domains the plugin created for `deviceID`, in creation order.
    public func domains(of deviceID: String) -> [MemoryDomain] { context.domains(of: deviceID) }
}

/// Receives diagnostic lines from a plugin's `diagnose` during one synchronous call.
private final class DiagnosticCollector {
    var lines: [DriverDiagnostic] = []
}
