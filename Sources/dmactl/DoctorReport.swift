import DMAHost
import DriverHost

/// The `doctor` document, with and without `--isolate` (the same keys in both).
struct DoctorReport: Encodable {
    /// Where plugins were searched.
    struct Search: Encodable {
        let explicit: [String]
        @Nullable var environment: String?
        /// The value of DMAHOST_DRIVER_PATH when secure-execution mode ignored it.
        @Nullable var environmentIgnored: String?
        let installed: [String]
    }

    /// One candidate plugin file and what became of it.
    struct Candidate: Encodable {
        let path: String
        let source: String
        /// loaded, rejected, crashed (isolated: a signal ended its process), hung (isolated: no
        /// answer in time) or failed (isolated: its process ended otherwise).
        let outcome: String
        let loaded: Bool
        /// One line saying what happened.
        let detail: String
        @Nullable var driver: String?
        /// The rejection kind (PluginRejection.Kind), for a rejected candidate.
        @Nullable var kind: String?
        /// What a rejected plugin's driver reported about itself before it was rejected.
        var diagnostics: [DiagnosticJSON] = []
        var waivedTrustProblems: [String] = []
        @Nullable var signal: Int32? = nil
        @Nullable var signalName: String? = nil
        /// The step the isolated process was at when it crashed or hung.
        @Nullable var stage: String? = nil
        /// The last lines the isolated process wrote to stderr.
        var stderr: [String] = []
    }

    /// One driver's own checks.
    struct Driver: Encodable {
        let name: String
        let checks: [DiagnosticJSON]
    }

    /// One device's open-and-close check.
    struct Device: Encodable {
        let id: String
        let opens: Bool
        let domains: [String]
        @Nullable var error: String?
        /// Null when the check ran in an isolated process (its counts stayed there).
        @Nullable var completionFaults: FaultCountsJSON?
    }

    let isolated: Bool
    /// The time limit of each isolated process; null without --isolate.
    @Nullable var limitSeconds: Double?
    let search: Search
    let candidates: [Candidate]
    let drivers: [Driver]
    let devices: [Device]

    /// The report of a doctor run in this process.
    init(_ session: Session, diagnostics: [DriverDiagnostics], checks: [DeviceCheck]) {
        let host = session.host, search = session.search
        isolated = false
        limitSeconds = nil
        self.search = Search(explicit: search.explicit, environment: search.environmentPath,
                             environmentIgnored: search.ignoredEnvironmentPath, installed: search.installedDirectories)
        candidates = session.outcomes.map { outcome in
            switch outcome {
            case .loaded(let driver):
                let devices = host.devices.count { $0.driverName == driver.name }
                return Candidate(path: driver.path, source: driver.candidate.source.rawValue, outcome: "loaded", loaded: true,
                                 detail: "driver \(driver.name) \(driver.version), ABI \(driver.abiVersion), \(devices) devices",
                                 driver: driver.name, kind: nil, waivedTrustProblems: driver.waivedTrustProblems)
            case .rejected(let rejection):
                return Candidate(path: rejection.candidate.path, source: rejection.candidate.source.rawValue, outcome: "rejected",
                                 loaded: false, detail: rejection.reason, driver: rejection.driverName, kind: rejection.kind.rawValue,
                                 diagnostics: rejection.diagnostics.map(DiagnosticJSON.init))
            }
        }
        drivers = diagnostics.map { Driver(name: $0.driverName, checks: $0.lines.map(DiagnosticJSON.init)) }
        devices = checks.map { check in
            Device(id: check.id, opens: check.error == nil, domains: check.domains, error: check.error,
                   completionFaults: FaultCountsJSON(check.faults))
        }
    }

    /// The report of `doctor --isolate`.
    init(isolatedSearch search: DriverSearch, limit: Double, candidates: [Candidate], reports: [IsolationReport]) {
        isolated = true
        limitSeconds = limit
        self.search = Search(explicit: search.explicit, environment: search.environmentPath, environmentIgnored: nil,
                             installed: search.installedDirectories)
        self.candidates = candidates
        drivers = reports.map { Driver(name: $0.loaded?.name ?? "", checks: $0.checks.map(DiagnosticJSON.init)) }
        devices = reports.flatMap(\.devices).map { device in
            Device(id: device.id, opens: device.error == nil, domains: device.domains, error: device.error, completionFaults: nil)
        }
    }
}
