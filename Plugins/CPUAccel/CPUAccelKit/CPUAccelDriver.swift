import DMASync
import CPUCopyEngine
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CPU accel backend: devices `cpu:0`, `cpu:1`, … (``CPUAccelSettings``), each an
/// ACCEL memory domain whose data operations run on its own ``CopyEngine``.
package final class CPUAccelDriver: DMADeviceDriver {
    package let name = "cpu"
    package let version = "1.0.0"
    package let deviceTypes: [DMADeviceType] = [.accel]
    /// `DMAHOST_CPU_*`: see ``CPUAccelSettings``.
    package var configVariables: [DMAConfigVariable] { CPUAccelSettings.variables }

    private let host: HostAPI
    /// Open devices by id, and the settings of the last probe.
    private let state = Locked<(open: [String: CPUDevice], settings: CPUAccelSettings?)>(([:], nil))

    package init(host: HostAPI) {
        self.host = host
    }

    static let capabilities: DMACapabilities = [.copy, .fill, .scatterGather, .translateIdentity, .transfer]

    package func probe() throws(DMAError) -> [DMADeviceInfo] {
        let settings = try CPUAccelSettings.read()
        state.withLock { $0.settings = settings }
        let engine = settings.engine
        return settings.deviceIDs.map { id in
            DMADeviceInfo(
                id: id, type: .accel,
                description: "CPU copy engine (\(CopyEngine.cachedCopyName)/memset on \(engine.workers) worker thread\(engine.workers == 1 ? "" : "s"), \(engine.completionMode.rawValue) completions, \(engine.queueDepth) descriptors, cache control \(engine.cacheControl.rawValue), \(CopyEngine.streamingKernelName) non-temporal stores)",
                capabilities: Self.capabilities)
        }
    }

    package func open(deviceID: String) throws(DMAError) {
        // Engine settings are read again so that a change since probe takes effect.
        let settings = try CPUAccelSettings.read()
        let known = state.withLock { $0.settings?.deviceIDs.contains(deviceID) ?? settings.deviceIDs.contains(deviceID) }
        guard known else {
            throw .noDevice("no CPU device '\(deviceID)': this backend has cpu:0…cpu:\(settings.channels - 1) (set \(CPUAccelSettings.channelsVariable) for more)")
        }
        let alreadyOpen = state.withLock { $0.open[deviceID] != nil }
        guard !alreadyOpen else { throw .system(errno: EBUSY, "CPU device '\(deviceID)' is already open; close it first") }
        let device = try CPUDevice.open(deviceID: deviceID, configuration: settings.engine, host: host)
        state.withLock { $0.open[deviceID] = device }
        host.log(.debug, "opened \(deviceID): \(settings.engine.workers) workers, \(settings.engine.completionMode.rawValue) completions")
    }

    package func close(deviceID: String) {
        guard let device = state.withLock({ $0.open.removeValue(forKey: deviceID) }) else { return }
        device.close(host: host)
    }

    package func diagnose() -> [DriverDiagnostic] {
        var lines = [DriverDiagnostic(subject: "CPUs online", ok: true,
                                      detail: "\(CopyEngineConfiguration.onlineCPUCount) (sysconf); the CPU backend needs no hardware")]
        do throws(DMAError) {
            let settings = try CPUAccelSettings.read()
            let engine = settings.engine
            lines.append(DriverDiagnostic(
                subject: "settings", ok: true,
                detail: "\(settings.channels) device(s), \(engine.workers) worker(s) each, \(engine.completionMode.rawValue) completions, \(engine.queueDepth) descriptors, cache control \(engine.cacheControl.rawValue) (\(CPUAccelSettings.channelsVariable), \(CPUAccelSettings.workersVariable), \(CPUAccelSettings.completionVariable), \(CPUAccelSettings.queueDepthVariable), \(CPUAccelSettings.cacheControlVariable))"))
            lines.append(DriverDiagnostic(subject: "cached copies", ok: true,
                                          detail: "\(CopyEngine.cachedCopyName) (cpuid: rep movsb where the CPU reports fast short rep movsb)"))
            lines.append(DriverDiagnostic(subject: "non-temporal stores", ok: true,
                                          detail: "\(CopyEngine.streamingKernelName) (cpuid; memcpy: none on this CPU)"))
        } catch {
            lines.append(DriverDiagnostic(subject: "settings", ok: false, detail: error.message))
        }
        let open = state.withLock { $0.open.keys.sorted() }
        lines.append(DriverDiagnostic(subject: "open devices", ok: true, detail: open.isEmpty ? "none" : open.joined(separator: ", ")))
        return lines
    }

    package func shutdown() {
        let devices = state.withLock { state in
            defer { state.open = [:] }
            return Array(state.open.values)
        }
        for device in devices { device.close(host: host) }
    }
}
