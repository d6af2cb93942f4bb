import CIDXD
import DMABuf
import DMADriverKit

/// A device the backend can open, and what it is made from.
public struct DiscoveredDevice: Sendable, Hashable {
    /// What the host lists.
    public var info: DMADeviceInfo
    /// Where its buffers or its data path come from.
    public var source: Source
    /// The id of the memory domain opening it creates.
    public var domainID: String

    /// The kinds of devices.
    public enum Source: Sendable, Hashable {
        /// `/dev/udmabuf`.
        case udmabuf(UDMABufInfo)
        /// A dma-buf heap.
        case heap(DMAHeapInfo)
        /// A DRM device.
        case drm(DRMDeviceInfo)
        /// An Intel DSA user work queue.
        case dsa(IDXDWorkQueueInfo)
    }
}

/// Everything discovery found: the devices to report from probe, and one diagnostic per check.
public struct DiscoveryReport: Sendable {
    /// Devices that can be opened.
    public var devices: [DiscoveredDevice]
    /// What was checked and what was found or is missing.
    public var diagnostics: [DriverDiagnostic]
    /// Kernel dmaengine channels (kernel-only; listed in diagnostics).
    public var channels: [DMAChannelInfo]
    /// PCI DMA engines and accelerators (listed in diagnostics).
    public var pciEngines: [PCIEngineInfo]
}

/// Looks at the system (or a fixture tree) for everything this backend can use or report.
public enum Discovery {
    /// Capabilities of a dma-buf domain's device.
    public static let dmabufCapabilities: DMACapabilities = [.copy, .fill, .scatterGather, .translateDMABuf, .transfer, .invalidate]
    /// Capabilities of a DSA work queue's device.
    public static let dsaCapabilities: DMACapabilities = [.copy, .fill, .scatterGather, .translateIdentity, .transfer]

    /// Runs every scanner.
    /// - Parameters:
    ///   - paths: Where to look.
    ///   - cpu: The CPU's submission instructions (injectable for tests).
    public static func run(_ paths: SystemPaths, cpu: CPUFeatures = .current) -> DiscoveryReport {
        var devices: [DiscoveredDevice] = []
        var diagnostics: [DriverDiagnostic] = []

        // udmabuf
        let udmabuf = UDMABufInfo.probe(paths)
        if udmabuf.present {
            let limits = "list_limit \(udmabuf.limits.listLimit.map(String.init) ?? "unknown"), size_limit_mb \(udmabuf.limits.sizeLimitMB.map(String.init) ?? "unknown")"
            devices.append(DiscoveredDevice(
                info: DMADeviceInfo(id: "dmaengine:udmabuf", type: .dma,
                                    description: "udmabuf: memfd pages as dma-bufs (\(udmabuf.path), \(limits))",
                                    capabilities: dmabufCapabilities, maxTransferSize: udmabuf.limits.sizeLimitBytes),
                source: .udmabuf(udmabuf), domainID: "dmabuf:udmabuf"))
            diagnostics.append(.init(subject: udmabuf.path, ok: true, detail: "present (\(limits)) → device dmaengine:udmabuf, domain dmabuf:udmabuf"))
        } else {
            diagnostics.append(.init(subject: udmabuf.path, ok: false, detail: "CONFIG_UDMABUF not enabled (\(udmabuf.path) missing); on a modular kernel: modprobe udmabuf"))
        }

        // dma-buf heaps
        let heapDirectory = "\(paths.dev)/dma_heap"
        switch DMAHeapScanner.scan(dev: paths.dev) {
        case nil:
            diagnostics.append(.init(subject: heapDirectory, ok: false, detail: "CONFIG_DMABUF_HEAPS not enabled (\(heapDirectory) missing); enable CONFIG_DMABUF_HEAPS and CONFIG_DMABUF_HEAPS_SYSTEM"))
        case let heaps? where heaps.isEmpty:
            diagnostics.append(.init(subject: heapDirectory, ok: false, detail: "no heaps registered: enable CONFIG_DMABUF_HEAPS_SYSTEM (or CONFIG_DMABUF_HEAPS_CMA with a CMA area)"))
        case let heaps?:
            for heap in heaps {
                let id = "heap-\(heap.name)"
                devices.append(DiscoveredDevice(
                    info: DMADeviceInfo(id: "dmaengine:\(id)", type: .dma, description: "dma-buf heap \(heap.name) (\(heap.path))",
                                        capabilities: dmabufCapabilities),
                    source: .heap(heap), domainID: "dmabuf:\(id)"))
                diagnostics.append(.init(subject: heap.path, ok: true, detail: "dma-buf heap \(heap.name) → device dmaengine:\(id), domain dmabuf:\(id)"))
            }
        }

        // DRM
        let drmDevices = DRMScanner.scan(paths)
        if drmDevices.isEmpty {
            let directory = "\(paths.dev)/dri"
            let why = SystemFiles.exists(directory) ? "no card or render nodes in \(directory)" : "\(directory) missing"
            diagnostics.append(.init(subject: "DRM devices", ok: false, detail: "no DRM devices (\(why)): for a virtual PRIME-capable device, modprobe vgem (CONFIG_DRM_VGEM)"))
        }
        for drm in drmDevices {
            if drm.usable, let driver = drm.driverName {
                devices.append(DiscoveredDevice(
                    info: DMADeviceInfo(id: "dmaengine:\(drm.name)", type: .dma,
                                        description: "DRM \(drm.name) (\(driver)\(drm.bus.map { ", \($0)" } ?? "")): PRIME \(drm.prime)\(drm.canAllocate ? ", dumb buffers" : ", import only")",
                                        capabilities: dmabufCapabilities),
                    source: .drm(drm), domainID: "dmabuf:\(driver)"))
                diagnostics.append(.init(subject: "DRM \(drm.name)", ok: true, detail: "\(drm.summary) → device dmaengine:\(drm.name), domain dmabuf:\(driver)"))
            } else {
                let why = drm.problem ?? "PRIME \(drm.prime), \(DRMDeviceInfo.dumbText(drm.dumbBuffers)): cannot allocate or import dma-bufs"
                diagnostics.append(.init(subject: "DRM \(drm.name)", ok: false, detail: "\(drm.summary); not usable: \(why)"))
            }
        }

        // Kernel dmaengine channels
        let channels = DMAChannelScanner.scan(sysfs: paths.sysfs) ?? []
        if channels.isEmpty {
            diagnostics.append(.init(subject: "\(paths.sysfs)/class/dma", ok: false, detail: "no dmaengine channels: needs CONFIG_DMADEVICES with a DMA engine driver (ioatdma, idxd, ptdma...) and its hardware; channels serve kernel clients only (user space submits through idxd user work queues)"))
        }
        for channel in channels {
            diagnostics.append(.init(subject: "dmaengine \(channel.name)", ok: true, detail: "\(channel.summary) (kernel-only: Linux has no user-space submission interface for dmaengine channels)"))
        }

        // PCI engines
        var pciEngines: [PCIEngineInfo] = []
        do throws(DMAError) {
            let (engines, count) = try PCIEngineScanner.scan(sysfsPath: paths.pciSysfs)
            pciEngines = engines
            if pciEngines.isEmpty {
                diagnostics.append(.init(subject: "PCI DMA engines", ok: false, detail: "none among \(count) PCI functions (looked for class 0801 DMA controllers, class 12xx accelerators, drivers \(PCIEngineScanner.dmaDrivers.sorted().joined(separator: "/")), Intel DSA/IAX/CBDMA and AMD PTDMA ids)"))
            }
        } catch {
            diagnostics.append(.init(subject: "PCI DMA engines", ok: false, detail: "\(error.message) (is /sys mounted? libpci needs /sys/bus/pci or /proc/bus/pci)"))
        }
        for engine in pciEngines {
            diagnostics.append(.init(subject: "PCI \(engine.slot)", ok: engine.driver != nil, detail: engine.driver == nil ? "\(engine.summary); no driver bound: modprobe ioatdma / idxd / ptdma as fits" : engine.summary))
        }

        // Intel DSA/IAX work queues
        diagnostics.append(.init(subject: "CPU submission instructions", ok: cpu.movdir64b || cpu.enqcmd,
                                 detail: "MOVDIR64B \(cpu.movdir64b ? "yes" : "no") (dedicated DSA work queues), ENQCMD \(cpu.enqcmd ? "yes" : "no") (shared DSA work queues)"))
        if let queues = IDXDScanner.scan(paths) {
            if queues.isEmpty {
                diagnostics.append(.init(subject: "\(paths.sysfs)/bus/dsa", ok: false, detail: "idxd loaded but no work queues: configure one with accel-config (type user, mode dedicated or shared) and enable it"))
            }
            for queue in queues {
                var reason = queue.unusableReason
                if reason == nil && queue.isShared && !cpu.enqcmd { reason = "shared queue needs ENQCMD, which this CPU lacks" }
                if reason == nil && !queue.isShared && !cpu.movdir64b { reason = "dedicated queue needs MOVDIR64B, which this CPU lacks" }
                if let reason {
                    diagnostics.append(.init(subject: "idxd \(queue.name)", ok: false, detail: "\(queue.summary); not usable: \(reason)"))
                    continue
                }
                let id = "dmaengine:\(queue.name)"
                devices.append(DiscoveredDevice(
                    info: DMADeviceInfo(id: id, type: .dma,
                                        description: "Intel DSA \(queue.mode ?? "") work queue \(queue.name) of \(queue.device ?? "?") (\(queue.devicePath), \(queue.isShared ? "ENQCMD" : "MOVDIR64B"))",
                                        capabilities: dsaCapabilities, maxTransferSize: queue.maxTransferSize),
                    source: .dsa(queue), domainID: id))
                diagnostics.append(.init(subject: "idxd \(queue.name)", ok: true, detail: "\(queue.summary) → device \(id)"))
            }
        } else {
            diagnostics.append(.init(subject: "\(paths.sysfs)/bus/dsa", ok: false, detail: "no Intel DSA/IAX (idxd) devices: needs CONFIG_INTEL_IDXD (modprobe idxd) and DSA hardware; user work queues then appear as \(paths.dev)/dsa/wqX.Y once configured with accel-config. Without one, DSA copies are not available (nothing is done on the CPU under the DSA name)"))
        }

        return DiscoveryReport(devices: devices, diagnostics: diagnostics, channels: channels, pciEngines: pciEngines)
    }
}

/// The CPU's work-queue submission instructions.
public struct CPUFeatures: Sendable, Hashable {
    /// MOVDIR64B (dedicated work queues).
    public var movdir64b: Bool
    /// ENQCMD (shared work queues).
    public var enqcmd: Bool

    /// Explicit values (tests).
    public init(movdir64b: Bool, enqcmd: Bool) {
        self.movdir64b = movdir64b
        self.enqcmd = enqcmd
    }

    /// This CPU, from CPUID.
    public static var current: CPUFeatures {
        CPUFeatures(movdir64b: dmahost_cpu_has_movdir64b() != 0, enqcmd: dmahost_cpu_has_enqcmd() != 0)
    }
}
