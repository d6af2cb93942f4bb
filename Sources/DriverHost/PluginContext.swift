import DMASync
import CDMAHostABI
internal import CDriverHostSupport
@_spi(CABI) import DMAHost
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The host's side of one loaded plugin: what its `host_ctx` points to.
///
/// It records which device each domain the plugin creates belongs to, refuses domains for
/// devices the plugin did not report and domain ids outside its namespace
/// (``DomainIDPolicy``), answers whether the plugin owns a domain (for the host table's
/// callback setters and `domain_destroy`), and forwards the plugin's log lines to swift-log.
///
/// While the host calls into the plugin (``whileCalling(_:)``), the calling thread's
/// "current plugin" is this context: that is how the host table's callback setters, which
/// take no `host_ctx`, know which plugin calls them.
/// Plugins may call in from any thread (domain creation usually happens during `open`, which
/// the host calls while holding LoadedDriver's call lock; this object has its own lock, so
/// there is no lock-order problem).
///
/// Lifetime: a context is retained for the life of the process (the plugin keeps its host
/// table, and the table points here; plugins are never unloaded).
final class PluginContext: Sendable {
    /// The plugin file.
    let candidate: PluginCandidate
    private let logger: Logger
    private let state = Locked(State())

    private struct State {
        var driverName: String?
        var allowedTypes: Set<Int32> = []
        var prefixes: [String] = []
        var devices: Set<String> = []
        /// Live domains the plugin created: device, domain and the domain's registration
        /// sequence (which tells it apart from a later domain at the same address).
        var domains: [(device: String, domain: MemoryDomain, sequence: UInt64?)] = []
        /// Every domain ever created per device, destroyed ones included (for fault counters).
        var created: [String: [MemoryDomain]] = [:]
    }

    init(candidate: PluginCandidate, logger: Logger) {
        self.candidate = candidate
        self.logger = logger
    }

    /// Retains `self` forever and returns the opaque `host_ctx` for the plugin's table.
    func retainedForever() -> UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    /// The context behind a `host_ctx`, or nil for NULL.
    static func from(_ hostContext: UnsafeMutableRawPointer?) -> PluginContext? {
        hostContext.map { Unmanaged<PluginContext>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Records the validated name, the device types the plugin's domains may have and the
    /// domain id prefixes it declared.
    func accept(driverName: String, types: [DMADeviceType], prefixes: [String]) {
        state.withLock {
            $0.driverName = driverName
            $0.allowedTypes = Set(types.map(\.rawValue))
            $0.prefixes = prefixes
        }
    }

    /// Runs `body` as a call from the host into this plugin: the calling thread's current
    /// plugin is this context until `body` returns (then the previous one again).
    func whileCalling<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let previous = dmahost_set_current_plugin(Unmanaged.passUnretained(self).toOpaque())
        defer { dmahost_set_current_plugin(previous) }
        return try body()
    }

    /// The plugin the host is calling on this thread, or nil.
    static var current: PluginContext? {
        dmahost_current_plugin().map { Unmanaged<PluginContext>.fromOpaque($0).takeUnretainedValue() }
    }

    /// True when `handle` is a live domain this plugin created through its table.
    func owns(_ handle: OpaquePointer) -> Bool {
        let sequence = MemoryDomain(handle: handle).registrationSequence
        return sequence != nil && state.withLock { $0.domains.contains { $0.domain.handle == handle && $0.sequence == sequence } }
    }

    /// The driver's name for log lines and refusals.
    var name: String { label }

    /// Logs a refused call (EPERM) on behalf of the plugin, naming it.
    func refusePermission(_ message: String) {
        logger.warning("refused (EPERM): driver '\(label)': \(message)", metadata: ["driver": "\(label)"])
    }

    /// Sets the devices (from an accepted probe) the plugin may create domains for.
    func setDevices(_ ids: [String]) {
        state.withLock { $0.devices = Set(ids) }
    }

    /// Domains the plugin created for `device`, in creation order.
    func domains(of device: String) -> [MemoryDomain] {
        state.withLock { $0.domains.filter { $0.device == device }.map(\.domain) }
    }

    /// Every domain the plugin ever created for `device`, destroyed ones included.
    func domainsEverCreated(for device: String) -> [MemoryDomain] {
        state.withLock { $0.created[device] ?? [] }
    }

    /// Label for log lines: the driver name once known, else the file.
    private var label: String { state.withLock { $0.driverName } ?? candidate.realPath }

    /// `dmahost_host_api.log`.
    func log(level: Int32, message: UnsafePointer<CChar>?) {
        let text = PluginStrings.message(message)
        let metadata: Logger.Metadata = ["driver": "\(label)"]
        switch DriverLogLevel(rawValue: level) {
        case .error: logger.error("\(text)", metadata: metadata)
        case .warning: logger.warning("\(text)", metadata: metadata)
        case .info: logger.info("\(text)", metadata: metadata)
        case .debug, nil: logger.debug("\(text)", metadata: metadata)
        }
    }

    /// `dmahost_host_api.domain_create`: checks the device and type, creates the domain in the
    /// process registry and records its device.
    func createDomain(device: UnsafePointer<CChar>?, out: UnsafeMutablePointer<OpaquePointer?>?, type: spdk_dma_device_type,
                      context: UnsafeMutablePointer<spdk_memory_domain_ctx>?, id: UnsafePointer<CChar>?) -> Int32 {
        guard let out else { return refuse("domain_create: the output pointer is NULL") }
        let deviceID: String
        do throws(PluginStrings.Problem) {
            deviceID = try PluginStrings.decode(device)
        } catch {
            return refuse("domain_create: device_id is NULL or not UTF-8; pass the id of a device the plugin reported")
        }
        let typeValue = Int32(bitPattern: type.rawValue)
        let (known, allowed, driver, prefixes) = state.withLock {
            ($0.devices.contains(deviceID), $0.allowedTypes.contains(typeValue), $0.driverName ?? "", $0.prefixes)
        }
        guard known else {
            return refuse("domain_create: '\(deviceID)' is not a device this plugin reported from probe; create domains only for reported devices")
        }
        guard allowed else {
            return refuse("domain_create: type \(typeValue) for device '\(deviceID)' is not one of the driver's declared device_types")
        }
        var domainID: String?
        if id != nil {
            do throws(PluginStrings.Problem) {
                domainID = try PluginStrings.decode(id)
            } catch {
                return refuse("domain_create: domain_id is not NUL-terminated UTF-8; pass NULL or an id of the form '\(driver):<name>'")
            }
        }
        if let problem = DomainIDPolicy.problem(id: domainID, driver: driver, prefixes: prefixes) {
            refusePermission("domain_create for device '\(deviceID)': \(problem)")
            return -EPERM
        }
        let rc = spdk_memory_domain_create_export(out, type, context, id)
        guard rc == 0, let handle = out.pointee else { return rc == 0 ? -EINVAL : rc }
        let domain = MemoryDomain(handle: handle)
        let sequence = domain.registrationSequence
        state.withLock {
            $0.domains.append((deviceID, domain, sequence))
            $0.created[deviceID, default: []].append(domain)
        }
        return 0
    }

    /// `dmahost_host_api.domain_destroy`: destroys a domain this plugin created.
    func destroyDomain(_ handle: OpaquePointer?) {
        guard let handle else { return }
        let sequence = MemoryDomain(handle: handle).registrationSequence
        let owned = state.withLock { state -> Bool in
            guard let index = state.domains.firstIndex(where: { $0.domain.handle == handle }) else { return false }
            let recorded = state.domains[index].sequence
            state.domains.remove(at: index)
            // Destroyed behind the plugin's back (through spdk_memory_domain_destroy), and
            // perhaps reused since by another domain: forget it, leave that one alone.
            return sequence != nil && recorded == sequence
        }
        guard owned else {
            refusePermission("domain_destroy: \(DomainLabel.describe(handle)) was not created by this plugin (or is already destroyed); "
                             + "the domain is left alone. A plugin destroys only the domains it created, in close")
            return
        }
        spdk_memory_domain_destroy_export(handle)
    }

    /// Logs a malformed status the plugin returned from `what` (see ``PluginStatus``): the
    /// original value, which the host then treats as -EIO. Nothing for a well-formed status.
    func check(_ status: PluginStatus, _ what: String) {
        guard let problem = status.problem else { return }
        logger.error("\(what): \(problem)", metadata: ["driver": "\(label)"])
    }

    private func refuse(_ message: String) -> Int32 {
        logger.warning("\(message)", metadata: ["driver": "\(label)"])
        return -EINVAL
    }
}
