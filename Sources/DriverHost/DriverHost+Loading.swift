import CDMAHostABI
import DMAHost

/// The load pipeline of one candidate file. Each step either passes or produces a
/// ``PluginRejection`` with the reason; nothing a plugin returns is used before it is checked.
///
/// 1. A path this host already considered gets no new verdict (loading again is a no-op).
/// 2. ``PluginFile``: the canonical path walked from `/`, every directory and the file checked
///    against ``PluginTrust`` (`untrusted`), the file opened (`unreadable`).
/// 3. The same file (device and inode) as an earlier candidate of this host, reached by another
///    path: `duplicateFile`, naming both paths.
/// 4. ``ELFCheck`` on the open file (`notSharedObject`).
/// 5. ``PluginImages/map(_:)``: `dlopen` of the canonical path, confirmed to be the checked
///    file (`loadFailed`).
/// 6. The entry symbol must be defined by that image itself (`missingEntry`), and the image must
///    not be one whose entry this host already called — the dynamic linker's own record of the
///    image, a second check beside device and inode (`duplicateFile`).
/// 7. The entry is called, once per image and host; its table is checked, then `probe` and
///    every device record. A driver whose name is taken is finalised unless its table is the
///    one of the live driver (`duplicateName`).
extension DriverHost {
    /// Loads one candidate. Must be called with the operation lock held.
    /// - Returns: nil when this host already considered that path: each path gets one verdict
    ///   per host.
    func loadCandidate(_ candidate: PluginCandidate) -> LoadOutcome? {
        guard state.withLock({ $0.consideredPaths.insert(FileSystem.absolute(candidate.path)).inserted }) else { return nil }
        let start = ContinuousClock.now
        var identity: FileIdentity?

        func reject(_ kind: PluginRejection.Kind, _ reason: String, name: String? = nil,
                    diagnostics: [DriverDiagnostic] = []) -> LoadOutcome {
            let rejection = PluginRejection(candidate: candidate, kind: kind, reason: reason, driverName: name, diagnostics: diagnostics)
            logger.debug("plugin rejected", metadata: ["path": "\(candidate.path)", "kind": "\(kind.rawValue)", "reason": "\(reason)"])
            state.withLock { state in
                state.rejections.append(rejection)
                if let identity, state.verdicts[identity] == nil {
                    state.verdicts[identity] = FileVerdict(path: candidate.realPath, outcome: "rejected (\(kind.rawValue))")
                }
            }
            return .rejected(rejection)
        }

        let file: PluginFile
        do throws(PluginFile.Failure) {
            file = try PluginFile.open(candidate.realPath, trust: PluginTrust(execution))
        } catch {
            switch error {
            case .unreadable(let text): return reject(.unreadable, text)
            case .untrusted(let text): return reject(.untrusted, text)
            }
        }
        if let first = state.withLock({ $0.verdicts[file.identity] }) {
            return reject(.duplicateFile, Self.duplicateReason(candidate,
                "is the same file (\(file.identity)) as \(first.path), which this host \(first.outcome)"))
        }
        identity = file.identity
        for problem in file.waivedProblems {
            logger.warning("loading a plugin that fails the trust rule because \(ExecutionContext.allowInsecurePluginsVariable)=1: \(problem)",
                           metadata: ["path": "\(candidate.realPath)"])
        }

        if let problem = ELFCheck.problem(in: file) {
            return reject(.notSharedObject, problem)
        }
        let image: PluginImages.Image
        do throws(PluginImages.Failure) {
            image = try PluginImages.map(file)
        } catch {
            switch error {
            case .openFailed(let text):
                return reject(.loadFailed, "dlopen failed: \(text); install the missing library or rebuild the plugin against the libraries of this system")
            case .changed(let text):
                return reject(.loadFailed, text)
            }
        }
        let entryAddress: UnsafeMutableRawPointer
        do throws(DynamicLibraryError) {
            entryAddress = try image.library.symbol(DMAHOST_DRIVER_ENTRY_SYMBOL)
        } catch {
            return reject(.missingEntry, "does not export \(DMAHOST_DRIVER_ENTRY_SYMBOL); a plugin defines "
                + "`const struct dmahost_driver_ops *\(DMAHOST_DRIVER_ENTRY_SYMBOL)(const struct dmahost_host_api *)` "
                + "(Swift: @_cdecl(\"\(DMAHOST_DRIVER_ENTRY_SYMBOL)\") with DriverExport.entry)")
        }
        let imageKey = UInt(bitPattern: image.linkMap ?? UnsafeRawPointer(image.library.handle))
        if let owner = DynamicLibrary.image(containing: entryAddress), let own = image.linkMap, owner.image != own {
            if let first = state.withLock({ $0.enteredImages[UInt(bitPattern: owner.image)] }) {
                return reject(.duplicateFile, "does not define \(DMAHOST_DRIVER_ENTRY_SYMBOL) itself: the one found is the entry of "
                    + "\(owner.name), a library it depends on, which this host already loaded from \(first); its entry runs "
                    + "once per host; a plugin defines its own entry")
            }
            return reject(.missingEntry, "does not define \(DMAHOST_DRIVER_ENTRY_SYMBOL) itself: the symbol found is in "
                + "\(owner.name), a library it depends on; a plugin defines its own entry")
        }
        if let first = state.withLock({ $0.enteredImages[imageKey] }) {
            return reject(.duplicateFile, Self.duplicateReason(candidate,
                "was mapped by the dynamic linker as the same image as \(first), whose entry this host already called"))
        }
        state.withLock { $0.enteredImages[imageKey] = candidate.realPath }

        let context = PluginContext(candidate: candidate, logger: logger)
        let hostTable = HostTable.make(for: context)
        let entry = unsafeBitCast(entryAddress, to: dmahost_driver_entry_fn.self)
        let returned = context.whileCalling { entry(hostTable) }
        PluginImages.record(.init(path: candidate.realPath, library: image.library, hostTable: hostTable,
                                  opsTable: returned.map(UnsafeRawPointer.init)))
        let table: DriverTable
        switch DriverTable.validate(returned) {
        case .success(let checked): table = checked
        case .failure(let error): return reject(error.kind, error.message)
        }
        if let other = state.withLock({ state in state.drivers.first { $0.name == table.name } }) {
            // A table the live driver also has is its state: finalising it would stop that driver.
            let shared = state.withLock { state in state.drivers.contains { $0.table.address == table.address } }
            if !shared { context.whileCalling { table.ops.fini?(table.ops.driver_ctx) } }
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
        let driver = LoadedDriver(table: table, context: context, loadDuration: start.duration(to: .now),
                                  waivedTrustProblems: file.waivedProblems)

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
            state.verdicts[file.identity] = FileVerdict(path: candidate.realPath, outcome: "loaded as driver '\(table.name)'")
        }
        logger.debug("plugin loaded", metadata: ["path": "\(candidate.realPath)", "driver": "\(table.name)", "devices": "\(devices.count)"])
        return .loaded(driver)
    }

    /// The reason of a `duplicateFile` rejection: both paths, and what to do.
    private static func duplicateReason(_ candidate: PluginCandidate, _ clause: String) -> String {
        let reached = candidate.path == candidate.realPath ? candidate.path : "\(candidate.path) (\(candidate.realPath))"
        return "\(reached) \(clause); a file is loaded once per host, so this path (a hard link, a symbolic link or a "
            + "second directory leading to it) is not loaded again: remove it"
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
