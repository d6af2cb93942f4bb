import CLibDRM
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A DRM device: its nodes, driver and dma-buf (PRIME) capabilities.
public struct DRMDeviceInfo: Sendable, Hashable {
    /// Name of its primary node ("card0"), or of its render node when it has no primary.
    public var name: String
    /// Primary node path (`/dev/dri/cardN`): dumb buffers are created there.
    public var primaryPath: String?
    /// Render node path (`/dev/dri/renderDN`).
    public var renderPath: String?
    /// Kernel driver ("vgem", "i915"...); nil when no node could be opened.
    public var driverName: String?
    /// Driver description.
    public var driverDescription: String?
    /// PRIME import/export support.
    public var prime: PrimeCapabilities
    /// Dumb buffer support; nil when the driver does not answer the query (creation is then tried).
    public var dumbBuffers: Bool?
    /// Bus ("pci 0000:03:00.0 [1002:73bf]", "platform vgem").
    public var bus: String?
    /// True when libdrm's drmGetDevices2 listed it (false: found only by scanning /dev/dri).
    public var listedByLibDRM: Bool
    /// Why the device could not be queried, when it could not.
    public var problem: String?

    /// True when a dma-buf domain can allocate from it (dumb buffers exported with PRIME).
    public var canAllocate: Bool { dumbBuffers != false && prime.contains(.export) && primaryPath != nil && problem == nil }
    /// True when a dma-buf domain can use it at all (allocation or PRIME import).
    public var usable: Bool { problem == nil && primaryPath != nil && (canAllocate || prime.contains(.import)) }

    /// One line for `dmactl doctor`.
    public var summary: String {
        var parts = [name, "driver \(driverName ?? "unknown")"]
        parts.append([primaryPath, renderPath].compactMap { $0 }.joined(separator: " + "))
        parts.append("PRIME \(prime)")
        parts.append(Self.dumbText(dumbBuffers))
        if let bus { parts.append(bus) }
        if !listedByLibDRM { parts.append("not listed by drmGetDevices2") }
        if let problem { parts.append(problem) }
        return parts.joined(separator: ", ")
    }

    static func dumbText(_ dumb: Bool?) -> String {
        switch dumb {
        case true?: "dumb buffers"
        case false?: "no dumb buffers"
        case nil: "dumb buffers (DRM_CAP_DUMB_BUFFER not answered; creation is tried)"
        }
    }
}

/// Finds DRM devices: libdrm's drmGetDevices2 on the live system, plus every card/render node
/// under `<dev>/dri` (drmGetDevices2 skips some platform devices), grouped per device through
/// `<sysfs>/class/drm/<node>/device`.
public enum DRMScanner {
    /// The devices found; an empty list when `<dev>/dri` does not exist.
    public static func scan(_ paths: SystemPaths) -> [DRMDeviceInfo] {
        var devices: [DRMDeviceInfo] = []
        var known = Set<String>()
        if paths.useLibDRMEnumeration {
            for device in libdrmDevices() {
                devices.append(device)
                known.formUnion([device.primaryPath, device.renderPath].compactMap { $0 })
            }
        }
        let directory = "\(paths.dev)/dri"
        var groups: [String: (primary: String?, render: String?)] = [:]
        var order: [String] = []
        for node in SystemFiles.entries(directory) ?? [] where node.hasPrefix("card") || node.hasPrefix("renderD") {
            let path = "\(directory)/\(node)"
            guard !known.contains(path) else { continue }
            let key = realPath("\(paths.sysfs)/class/drm/\(node)/device") ?? path
            if groups[key] == nil { order.append(key); groups[key] = (nil, nil) }
            if node.hasPrefix("card") { groups[key]?.primary = path } else { groups[key]?.render = path }
        }
        for key in order {
            guard let group = groups[key] else { continue }
            devices.append(query(primary: group.primary, render: group.render, bus: nil, listed: false))
        }
        return devices
    }

    /// Opens a node of the device (primary first) and asks the driver about itself.
    static func query(primary: String?, render: String?, bus: String?, listed: Bool) -> DRMDeviceInfo {
        let name = (primary ?? render).map { String($0.split(separator: "/").last ?? "") } ?? "?"
        var info = DRMDeviceInfo(name: name, primaryPath: primary, renderPath: render, driverName: nil, driverDescription: nil,
                                 prime: [], dumbBuffers: nil, bus: bus, listedByLibDRM: listed, problem: nil)
        var problems: [String] = []
        for path in [primary, render].compactMap({ $0 }) {
            do throws(DMAError) {
                let device = try DRMDevice(path: path)
                info.driverName = device.driverName
                info.driverDescription = device.driverDescription
                info.prime = device.prime
                info.dumbBuffers = device.dumbBuffers
                return info
            } catch {
                problems.append(error.message)
            }
        }
        info.problem = problems.isEmpty ? "no node to open" : problems.joined(separator: "; ")
        return info
    }

    /// drmGetDevices2 on the live system.
    static func libdrmDevices() -> [DRMDeviceInfo] {
        let count = drmGetDevices2(0, nil, 0)
        guard count > 0 else { return [] }
        var list = [drmDevicePtr?](repeating: nil, count: Int(count))
        let found = drmGetDevices2(0, &list, count)
        guard found > 0 else { return [] }
        defer { drmFreeDevices(&list, found) }
        return list.prefix(Int(found)).compactMap { $0 }.map { device in
            let info = device.pointee
            func node(_ index: Int32) -> String? {
                guard info.available_nodes & (1 << index) != 0, let nodes = info.nodes, let path = nodes[Int(index)] else { return nil }
                return String(cString: path)
            }
            return query(primary: node(DRM_NODE_PRIMARY), render: node(DRM_NODE_RENDER), bus: busDescription(info), listed: true)
        }
    }

    static func busDescription(_ info: drmDevice) -> String? {
        switch info.bustype {
        case DRM_BUS_PCI:
            guard let bus = info.businfo.pci?.pointee else { return "pci" }
            var text = "pci \(hex(bus.domain, width: 4)):\(hex(bus.bus, width: 2)):\(hex(bus.dev, width: 2)).\(bus.func)"
            if let ids = info.deviceinfo.pci?.pointee { text += " [\(hex4(ids.vendor_id)):\(hex4(ids.device_id))]" }
            return text
        case DRM_BUS_PLATFORM:
            guard let bus = info.businfo.platform?.pointee else { return "platform" }
            let name = withUnsafeBytes(of: bus.fullname) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            return "platform \(name)"
        case DRM_BUS_USB: return "usb"
        case DRM_BUS_HOST1X: return "host1x"
        default: return nil
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
