import DMASync
import DMAHost
import Logging

/// A device served by a loaded driver.
public struct HostedDevice: Sendable, Hashable {
    /// What the driver reported.
    public var info: DMADeviceInfo
    /// The driver serving it.
    public var driverName: String
    /// The device id ("<driver>:<device>").
    public var id: String { info.id }

    /// Creates a record.
    public init(info: DMADeviceInfo, driverName: String) {
        self.info = info
        self.driverName = driverName
    }
}

/// What happened to one candidate plugin file.
public enum LoadOutcome: Sendable {
    /// Loaded and probed; its devices are served.
    case loaded(LoadedDriver)
    /// Not loaded; the reason is kept in ``DriverHost/rejections``.
    case rejected(PluginRejection)
}

/// What one driver's `diagnose` reported.
public struct DriverDiagnostics: Sendable {
    /// The driver.
    public var driverName: String
    /// Its lines, in the order it reported them.
    public var lines: [DriverDiagnostic]
}

/// Loads backend plugins, keeps their devices, and opens devices into memory domains.
///
/// An instance owns the drivers it loaded: the only process-wide state is the one domain
/// registry of the core, and the record of plugin images with the tables exchanged with them
/// (which live as long as the process, since plugins are never unloaded). Each instance calls
/// a plugin's entry once, so two instances get two independent driver states.
/// Plugins are never unloaded; ``shutdown()`` (also run at deinit) closes open devices and
/// calls every driver's `fini`.
///
/// Thread safety: all methods may be called from any thread. Loading, opening and closing
/// are serialised; queries read a consistent snapshot.
public final class DriverHost: Sendable {
    struct State {
        var drivers: [LoadedDriver] = []
        var devices: [HostedDevice] = []
        var rejections: [PluginRejection] = []
        /// Absolute paths (as found) of every candidate given a verdict.
        var consideredPaths: Set<String> = []
        /// The first verdict on each file, by device and inode.
        var verdicts: [FileIdentity: FileVerdict] = [:]
        /// Images whose entry this host called (the dynamic linker's record, as an address),
        /// with the path they were loaded from.
        var enteredImages: [UInt: String] = [:]
        var openDevices: [String] = []
        var shutDown = false
    }

    /// What this host decided about a file, for the rejection of another path to it.
    struct FileVerdict {
        /// The canonical path of the first candidate for the file.
        var path: String
        /// "loaded as driver 'x'" or "rejected (kind)".
        var outcome: String
    }

    let logger: Logger
    /// Who the process runs as: decides what the environment and callers may choose and the
    /// owners plugins may have.
    public let execution: ExecutionContext
    let state = Locked(State())
    /// Serialises load, open, close and shutdown (the calls into plugins that change state).
    private let operations = Locked(())

    /// Creates an empty host.
    /// - Parameters:
    ///   - logger: Receives the plugins' log lines (metadata `driver`) and the host's own lines
    ///     about each candidate (debug; a warning for each trust problem waived by
    ///     `DMAHOST_ALLOW_INSECURE_PLUGINS=1`).
    ///   - execution: The process's context, read once (tests pass their own): secure-execution
    ///     mode, the environment, the owners plugins may have.
    public init(logger: Logger = Logger(label: "dmahost.driverhost"), execution: ExecutionContext = .current()) {
        self.logger = logger
        self.execution = execution
    }

    deinit { shutdown() }

    // MARK: Loading

    /// Loads every candidate of `search`, in order, under this host's ``execution`` context.
    /// - Returns: One outcome per candidate path this host had not considered yet, then one
    ///   rejection per unusable or refused search entry (missing path, empty explicit
    ///   directory, a path secure-execution mode refuses) not reported before.
    @discardableResult
    public func load(_ search: DriverSearch) -> [LoadOutcome] {
        let (candidates, problems) = search.candidates(in: execution)
        return operations.withLock { _ in
            guard !state.withLock({ $0.shutDown }) else { return [] }
            var outcomes: [LoadOutcome] = []
            for candidate in candidates {
                if let outcome = loadCandidate(candidate) { outcomes.append(outcome) }
            }
            let fresh = state.withLock { state in
                let new = problems.filter { !state.rejections.contains($0) }
                state.rejections += new
                return new
            }
            return outcomes + fresh.map(LoadOutcome.rejected)
        }
    }

    /// Loads `explicit` paths (files or directories), then `DMAHOST_DRIVER_PATH`, then the
    /// installed-plugins directory (see ``DriverSearch``); in secure-execution mode the
    /// environment is ignored and explicit paths are refused unless the real user is root.
    @discardableResult
    public func loadDefault(explicit: [String] = []) -> [LoadOutcome] {
        load(DriverSearch.standard(explicit: explicit, execution: execution))
    }

    /// Loads the given files or directories only (refused in secure-execution mode unless the
    /// real user is root: see ``ExecutionContext/pluginPathRefusal``).
    @discardableResult
    public func load(paths: [String]) -> [LoadOutcome] {
        load(DriverSearch(explicit: paths))
    }

    // MARK: Queries

    /// Loaded drivers, in load order.
    public var drivers: [LoadedDriver] { state.withLock { $0.drivers } }
    /// Devices of all loaded drivers, in load order.
    public var devices: [HostedDevice] { state.withLock { $0.devices } }
    /// Every rejected candidate, in search order.
    public var rejections: [PluginRejection] { state.withLock { $0.rejections } }
    /// Ids of open devices, in the order they were opened.
    public var openDeviceIDs: [String] { state.withLock { $0.openDevices } }

    /// The loaded driver with this name.
    public func driver(named name: String) -> LoadedDriver? { state.withLock { $0.drivers.first { $0.name == name } } }

    /// The device with this exact id.
    public func device(id: String) -> HostedDevice? { state.withLock { $0.devices.first { $0.id == id } } }

    /// True when `deviceID` is open.
    public func isOpen(_ deviceID: String) -> Bool { state.withLock { $0.openDevices.contains(deviceID) } }

    /// Domains the driver created for `deviceID` (empty unless it is open).
    public func domains(of deviceID: String) -> [MemoryDomain] {
        guard let device = device(id: deviceID), let driver = driver(named: device.driverName) else { return [] }
        return driver.domains(of: deviceID)
    }

    /// Completion faults (see ``CompletionFaults``) counted against the domains the device's
    /// driver created for it in this host, open or since destroyed: completions the host waited
    /// for itself (Swift API, `dmactl copy`, `dmactl bench`) that came twice, after an error
    /// return, after a timeout, or with a malformed status.
    public func completionFaults(of deviceID: String) -> CompletionFaultCounts {
        guard let device = device(id: deviceID), let driver = driver(named: device.driverName) else { return CompletionFaultCounts() }
        var counts = CompletionFaultCounts()
        for domain in Set(driver.context.domainsEverCreated(for: deviceID)) { counts.add(CompletionFaults.counts(domain: domain)) }
        return counts
    }

    /// Devices matching a selection (see ``DeviceSelector``), in device order.
    /// - Throws: ``DMAError/invalidArgument(_:)`` for a malformed selection,
    ///   ``DMAError/noDevice(_:)`` for an unknown id (with the closest ids) or an empty result.
    public func select(_ selection: String) throws(DMAError) -> [HostedDevice] {
        let all = devices
        let ids = try DeviceSelector(selection).select(from: all.map(\.id), driverNames: drivers.map(\.name),
                                                       vendorIDs: Set(all.filter { $0.info.type.isVendor }.map(\.id)))
        return ids.compactMap { id in all.first { $0.id == id } }
    }

    /// Each driver's self-diagnosis, in load order.
    public func diagnostics() -> [DriverDiagnostics] {
        drivers.map { DriverDiagnostics(driverName: $0.name, lines: $0.diagnose()) }
    }

    // MARK: Open and close

    /// Opens one device (if not open yet) and returns its domains.
    /// - Throws: ``DMAError/noDevice(_:)`` when no loaded driver serves `deviceID`, or the
    ///   driver's own error.
    @discardableResult
    public func open(deviceID: String) throws(DMAError) -> [MemoryDomain] {
        try operations.withLock { _ throws(DMAError) -> [MemoryDomain] in try openLocked(deviceID) }
    }

    /// Opens every device of `selection` and returns their domains, in device order. When one
    /// fails, the devices this call opened are closed again and the error is thrown.
    @discardableResult
    public func open(_ selection: String) throws(DMAError) -> [MemoryDomain] {
        let selected = try select(selection)
        return try operations.withLock { _ throws(DMAError) -> [MemoryDomain] in
            var opened: [String] = []
            var domains: [MemoryDomain] = []
            do throws(DMAError) {
                for device in selected {
                    let wasOpen = isOpen(device.id)
                    domains += try openLocked(device.id)
                    if !wasOpen { opened.append(device.id) }
                }
            } catch {
                for id in opened.reversed() { closeLocked(id) }
                throw error
            }
            return domains
        }
    }

    /// Closes an open device: its driver destroys its domains. Closing a device that is not
    /// open does nothing.
    /// - Throws: ``DMAError/noDevice(_:)`` when no loaded driver serves `deviceID`.
    public func close(deviceID: String) throws(DMAError) {
        guard device(id: deviceID) != nil else { throw DeviceSelector.unknownDevice(deviceID, among: devices.map(\.id)) }
        operations.withLock { _ in closeLocked(deviceID) }
    }

    /// Closes every open device, most recently opened first.
    public func closeAll() {
        operations.withLock { _ in
            for id in openDeviceIDs.reversed() { closeLocked(id) }
        }
    }

    /// Closes every open device and calls each driver's `fini`. Afterwards the host loads and
    /// opens nothing; queries still answer. Runs at deinit.
    public func shutdown() {
        operations.withLock { _ in
            guard !state.withLock({ $0.shutDown }) else { return }
            for id in openDeviceIDs.reversed() { closeLocked(id) }
            let drivers = state.withLock { state in
                state.shutDown = true
                return state.drivers
            }
            for driver in drivers.reversed() { driver.shutdown() }
        }
    }

    private func openLocked(_ deviceID: String) throws(DMAError) -> [MemoryDomain] {
        guard !state.withLock({ $0.shutDown }) else { throw .noDevice("the driver host was shut down; create a new DriverHost") }
        guard let device = device(id: deviceID), let driver = driver(named: device.driverName) else {
            throw DeviceSelector.unknownDevice(deviceID, among: devices.map(\.id))
        }
        if isOpen(deviceID) { return driver.domains(of: deviceID) }
        try driver.open(deviceID: deviceID)
        state.withLock { $0.openDevices.append(deviceID) }
        let domains = driver.domains(of: deviceID)
        if domains.isEmpty {
            logger.warning("device opened but its driver created no memory domain", metadata: ["device": "\(deviceID)"])
        }
        return domains
    }

    private func closeLocked(_ deviceID: String) {
        guard isOpen(deviceID), let device = device(id: deviceID), let driver = driver(named: device.driverName) else { return }
        driver.close(deviceID: deviceID)
        state.withLock { $0.openDevices.removeAll { $0 == deviceID } }
        let left = driver.domains(of: deviceID)
        if !left.isEmpty {
            logger.warning("driver did not destroy \(left.count) domain(s) of a closed device; they stay registered",
                           metadata: ["device": "\(deviceID)", "driver": "\(driver.name)"])
        }
    }
}
