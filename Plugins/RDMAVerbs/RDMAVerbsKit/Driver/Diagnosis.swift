import CIBVerbsShim
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The checks behind `diagnose()`: kernel modules, device nodes, libibverbs providers, the
/// devices found, and for each device its port, its loopback connection and whether it
/// registers dma-bufs. Each failed check says what to do.
enum Diagnosis {
    /// Directories where libibverbs looks for provider libraries.
    static let providerDirectories = ["/usr/lib/x86_64-linux-gnu/libibverbs", "/usr/lib/aarch64-linux-gnu/libibverbs",
                                      "/usr/lib64/libibverbs", "/usr/lib/libibverbs"]

    static func run(lastProbe: DeviceProbe.Findings?, openEngines: [RDMAEngine]) -> [DriverDiagnostic] {
        var lines: [DriverDiagnostic] = []
        lines.append(DriverDiagnostic(subject: "libibverbs", ok: true,
                                      detail: "loaded; ibv_reg_dmabuf_mr \(ProtectionDomain.dmaBufRegistrationAvailable ? "available" : "missing (rdma-core older than v34): dma-bufs are registered through their CPU mapping")"))
        lines.append(moduleCheck("ib_uverbs", remedy: "modprobe ib_uverbs (part of the kernel's InfiniBand support, CONFIG_INFINIBAND_USER_ACCESS)"))
        let rxe = SystemFiles.exists("/sys/module/rdma_rxe")
        lines.append(DriverDiagnostic(subject: "kernel module rdma_rxe", ok: true,
                                      detail: rxe ? "loaded (soft-RoCE available)" : "not loaded; for soft-RoCE without RDMA hardware: modprobe rdma_rxe && rdma link add rxe0 type rxe netdev <interface>"))
        let classDevices = SystemFiles.entries("/sys/class/infiniband") ?? []
        lines.append(DriverDiagnostic(subject: "/sys/class/infiniband", ok: !classDevices.isEmpty,
                                      detail: classDevices.isEmpty ? "no RDMA devices registered with the kernel; load a device driver or create a soft-RoCE link (rdma link add rxe0 type rxe netdev lo)" : classDevices.joined(separator: ", ")))
        let nodes = (SystemFiles.entries("/dev/infiniband") ?? []).filter { $0.hasPrefix("uverbs") }
        lines.append(DriverDiagnostic(subject: "/dev/infiniband/uverbs*", ok: !nodes.isEmpty,
                                      detail: nodes.isEmpty ? "no verbs device nodes; load ib_uverbs and a device driver" : nodes.map { "/dev/infiniband/\($0)" }.joined(separator: ", ")))
        lines.append(providerCheck())
        lines.append(contentsOf: deviceChecks(lastProbe ?? DeviceProbe.run(), openEngines: openEngines))
        lines.append(memlockCheck())
        lines.append(monitorCheck(openEngines: openEngines))
        return lines
    }

    private static func moduleCheck(_ module: String, remedy: String) -> DriverDiagnostic {
        let loaded = SystemFiles.exists("/sys/module/\(module)")
        return DriverDiagnostic(subject: "kernel module \(module)", ok: loaded, detail: loaded ? "loaded" : "not loaded; \(remedy)")
    }

    private static func providerCheck() -> DriverDiagnostic {
        for directory in providerDirectories {
            guard let names = SystemFiles.entries(directory) else { continue }
            let providers = names.filter { $0.hasSuffix(".so") }.map { $0.split(separator: "-").first.map(String.init) ?? $0 }
            if !providers.isEmpty {
                let hasRXE = providers.contains("librxe")
                return DriverDiagnostic(subject: "libibverbs providers", ok: true,
                                        detail: "\(directory): \(providers.joined(separator: ", "))\(hasRXE ? "" : " (no librxe: soft-RoCE devices will not open; install ibverbs-providers)")")
            }
        }
        return DriverDiagnostic(subject: "libibverbs providers", ok: false,
                                detail: "no provider libraries found in \(providerDirectories.joined(separator: ", ")); install ibverbs-providers")
    }

    private static func deviceChecks(_ findings: DeviceProbe.Findings, openEngines: [RDMAEngine]) -> [DriverDiagnostic] {
        var lines: [DriverDiagnostic] = []
        let names = findings.devices.map(\.id)
        lines.append(DriverDiagnostic(subject: "ibv_get_device_list", ok: !names.isEmpty,
                                      detail: names.isEmpty ? "zero RDMA devices usable\(findings.problems.isEmpty ? "" : ": " + findings.problems.joined(separator: "; ")); see the checks above" : "\(names.count) device(s): \(names.joined(separator: ", "))"))
        if !names.isEmpty {
            for problem in findings.problems { lines.append(DriverDiagnostic(subject: "ibv_get_device_list", ok: false, detail: problem)) }
        }
        for device in findings.devices {
            let name = DeviceProbe.deviceName(of: device.id) ?? device.id
            let engine = openEngines.first { $0.profile.name == name }
            lines.append(DriverDiagnostic(subject: device.id, ok: true, detail: device.description))
            if let engine {
                let counters = engine.counters
                let cache = engine.registrationStatistics
                lines.append(DriverDiagnostic(subject: "\(device.id) loopback queue pair", ok: !engine.phaseDescription.hasPrefix("failed"),
                                              detail: "\(engine.phaseDescription); depth \(engine.queueDepth), \(counters.completed) operations (\(counters.failed) failed), \(counters.posted) requests, \(counters.completionEntries) completions, \(counters.recoveries) recoveries; registration cache \(cache.liveRegions) regions, \(cache.registeredBytes) of \(engine.registrationLimits.bytes) bytes (at most \(engine.registrationLimits.regions) regions), \(cache.hits) hits, \(cache.misses) misses, \(cache.evictions) evictions, \(cache.transientRegistrations) per-operation registrations, \(cache.monitorInvalidations) dropped because their memory went away"))
            }
            lines.append(dmaBufCheck(deviceName: name, engine: engine))
        }
        return lines
    }

    /// Whether the device registers dma-bufs: the open engine's experience, or a probe with a
    /// one-page udmabuf.
    private static func dmaBufCheck(deviceName: String, engine: RDMAEngine?) -> DriverDiagnostic {
        let subject = "dma-buf MR on \(deviceName)"
        let fallback = "dma-buf MR: not supported by \(deviceName), falling back to registering the CPU mapping"
        if let engine {
            switch engine.dmaBufRegistrationStatus {
            case .supported: return DriverDiagnostic(subject: subject, ok: true, detail: "ibv_reg_dmabuf_mr works")
            case .fallback(_, let reason): return DriverDiagnostic(subject: subject, ok: true, detail: "\(fallback) (\(reason))")
            case .untried: break
            }
        }
        guard ProtectionDomain.dmaBufRegistrationAvailable else {
            return DriverDiagnostic(subject: subject, ok: true, detail: "\(fallback) (libibverbs has no ibv_reg_dmabuf_mr)")
        }
        guard SystemFiles.exists(UDMABufDevice.defaultPath) else {
            return DriverDiagnostic(subject: subject, ok: true, detail: "not tested (no \(UDMABufDevice.defaultPath) to make a test dma-buf; modprobe udmabuf); if unsupported, the CPU mapping is registered instead")
        }
        let buffer: DMABuffer
        do throws(DMAError) {
            let (memfd, file) = try UDMABufDevice().allocate(length: 4096, name: "dmahost-rdma-probe")
            buffer = try DMABuffer(file: file, memfd: memfd)
        } catch {
            return DriverDiagnostic(subject: subject, ok: false, detail: "could not probe: no test udmabuf: \(error)")
        }
        do throws(VerbsError) {
            let context = try VerbsDeviceList.open(name: deviceName)
            let pd = try context.allocateProtectionDomain()
            do throws(VerbsError) {
                _ = try pd.registerDMABuf(fd: buffer.file.fd, offset: 0, length: buffer.length,
                                          iova: UInt64(UInt(bitPattern: buffer.base)), access: .readWrite)
                return DriverDiagnostic(subject: subject, ok: true, detail: "ibv_reg_dmabuf_mr works (probed with a udmabuf)")
            } catch {
                return DriverDiagnostic(subject: subject, ok: true, detail: "\(fallback) (probed with a udmabuf: \(error.function) returned \(String(cString: strerror(error.errno))))")
            }
        } catch {
            return DriverDiagnostic(subject: subject, ok: false, detail: "could not probe: \(error)")
        }
    }

    /// Whether cached registrations follow the memory they pinned: the monitor of the open
    /// devices, or the one a device would get (`DMAHOST_RDMA_MR_CACHE_MONITOR`).
    private static func monitorCheck(openEngines: [RDMAEngine]) -> DriverDiagnostic {
        let status = openEngines.first?.registrationMonitor ?? MemoryMonitor.status(for: EngineConfiguration.fromEnvironment().monitor)
        let ok: Bool
        switch status {
        case .active(let monitor): ok = !monitor.failed
        case .disabled: ok = true
        case .unavailable: ok = false
        }
        return DriverDiagnostic(subject: "registration cache", ok: ok, detail: status.summary)
    }

    private static func memlockCheck() -> DriverDiagnostic {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit)
        let unlimited = limit.rlim_cur == rlim_t.max // RLIM_INFINITY
        let privileged = geteuid() == 0
        let text = unlimited ? "unlimited" : "\(limit.rlim_cur) bytes"
        let ok = unlimited || privileged || limit.rlim_cur >= 64 << 20
        return DriverDiagnostic(subject: "RLIMIT_MEMLOCK", ok: ok,
                                detail: ok ? "\(text)\(privileged && !unlimited ? " (root: not enforced with CAP_IPC_LOCK)" : "")" : "\(text): memory registration pins pages and may fail with ENOMEM; raise it (ulimit -l, /etc/security/limits.conf)")
    }
}
