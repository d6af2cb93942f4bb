import CDMAHostABI
import DMAHost

/// The load pipeline of one candidate file. Each step either passes or produces a
/// ``PluginRejection`` with the reason; nothing a plugin returns is used before it is checked.
extension DriverHost {
    /// Loads one candidate. Must be called with the operation lock held.
    /// - Returns: nil when this host already considered that very file (loaded or rejected it):
    ///   each file gets one verdict per host.
    func loadCandidate(_ candidate: PluginCandidate) -> LoadOutcome? {
        let canonical = FileSystem.canonical(candidate.path) ?? candidate.path
        guard state.withLock({ $0.consideredFiles.insert(canonical).inserted }) else { return nil }
        let start = ContinuousClock.now

        func reject(_ kind: PluginRejection.Kind, _ reason: String, name: String? = nil,
                    diagnostics: [DriverDiagnostic] = []) -> LoadOutcome {
            let rejection = PluginRejection(candidate: candidate, kind: kind, reason: reason, driverName: name, diagnostics: diagnostics)
            logger.debug("plugin rejected", metadata: ["path": "\(candidate.path)", "kind": "\(kind.rawValue)", "reason": "\(reason)"])
            state.withLock { $0.rejections.append(rejection) }
            return .rejected(rejection)
        }

        if let problem = ELFCheck.problem(at: candidate.path) {
            return reject(.notSharedObject, problem)
        }
        let library: DynamicLibrary
        let entryAddress: UnsafeMutableRawPointer
        do throws(DynamicLibraryError) {
            library = try DynamicLibrary.open(candidate.path)
            entryAddress = try library.symbol(DMAHOST_DRIVER_ENTRY_SYMBOL)
        } catch {
            switch error {
            case .openFailed(let text):
                return reject(.loadFailed, "dlopen failed: \(text); install the missing library or rebuild the plugin against the libraries of this system")
            case .missingSymbol:
                return reject(.missingEntry, "does not export \(DMAHOST_DRIVER_ENTRY_SYMBOL); a plugin defines "
                    + "`const struct dmahost_driver_ops *\(DMAHOST_DRIVER_ENTRY_SYMBOL)(const struct dmahost_host_api *)` "
                    + "(Swift: @_cdecl(\"\(DMAHOST_DRIVER_ENTRY_SYMBOL)\") with DriverExport.entry)")
            }
        }
        let context = PluginContext(candidate: candidate, logger: logger)
        let hostTable = HostTable.make(for: context)
        let entry = unsafeBitCast(entryAddress, to: dmahost_driver_entry_fn.self)
        let returned = context.whileCalling { entry(hostTable) }
        PluginImages.record(.init(path: candidate.path, library: library, hostTable: hostTable, opsTable: returned.map(UnsafeRawPointer.init)))
        let table: DriverTable
        switch DriverTable.validate(returned) {
        case .success(let checked): table = checked
        case .failure(let error): return reject(error.kind, error.message)
        }
        if let other = state.withLock({ state in state.drivers.first { $0.name == table.name } }) {
            context.whileCalling { table.ops.fini?(table.ops.driver_ctx) }
            return reject(.duplicateName,
                "a driver named '\(table.name)' is already loaded from \(other.path) (\(other.candidate.source)); "
                + "remove one of the two copies or choose one with --driver-dir / \(DriverSearch.environmentVariable)",
                name: table.name)
        }
        if let (other, claim) = state.withLock({ state in Self.namespaceClash(table, with: state.drivers) }) {
            context.whileCalling { table.ops.fini?(table.ops.driver_ctx) }
            return reject(.duplicateName,
                "driver '\(table.name)' uses the domain id namespace '\(claim):', which driver '\(other.name)' from \(other.path) "
                + "already uses (as its name or a declared prefix); rename the driver or its domain_id_prefixes",
                name: table.name)
        }
        context.accept(driverName: table.name, types: table.deviceTypes, prefixes: table.domainIDPrefixes)
        let driver = LoadedDriver(table: table, context: context, loadDuration: start.duration(to: .now))

        let probeStart = ContinuousClock.now
        let probed = driver.probeRecords()
        driver.setProbeDuration(probeStart.duration(to: .now))
        let devices: [DMADeviceInfo]
        switch probed {
        case .failure(let error):
            let diagnostics = error.kind == .probeFailed ? driver.diagnose() : []
            driver.shutdown()
            return reject(error.kind, error.message, name: table.name, diagnostics: diagnostics)
        case .success(let found):
            let owners = state.withLock { state in
                Dictionary(state.devices.map { ($0.id, $0.driverName) }, uniquingKeysWith: { first, _ in first })
            }
            if let problem = DevicePolicy.check(found, driver: table.name, declaredTypes: table.deviceTypes, existing: owners) {
                driver.shutdown()
                return reject(problem.kind, problem.message, name: table.name)
            }
            devices = found
        }
        context.setDevices(devices.map(\.id))
        state.withLock { state in
            state.drivers.append(driver)
            state.devices += devices.map { HostedDevice(info: $0, driverName: table.name) }
        }
        logger.debug("plugin loaded", metadata: ["path": "\(candidate.path)", "driver": "\(table.name)", "devices": "\(devices.count)"])
        return .loaded(driver)
    }

    /// The loaded driver whose domain id namespace (name or declared prefixes) overlaps that
    /// of `table`, and the shared prefix.
    static func namespaceClash(_ table: DriverTable, with drivers: [LoadedDriver]) -> (LoadedDriver, String)? {
        let claims = Set([table.name] + table.domainIDPrefixes)
        for driver in drivers {
            if let shared = ([driver.name] + driver.domainIDPrefixes).first(where: claims.contains) { return (driver, shared) }
        }
        return nil
    }
}
