import DMADriverKit

/// An idxd work queue (`/sys/bus/dsa/devices/wqX.Y`) of an Intel DSA or IAX device.
public struct IDXDWorkQueueInfo: Sendable, Hashable {
    /// "wq0.0".
    public var name: String
    /// The accelerator it belongs to ("dsa0", "iax1"), from its sysfs parent.
    public var device: String?
    /// "dedicated" or "shared".
    public var mode: String?
    /// "user", "kernel" or "none".
    public var type: String?
    /// "enabled" or "disabled".
    public var state: String?
    /// Entries in the queue (`size`).
    public var size: Int?
    /// Largest transfer in bytes (`max_transfer_size`).
    public var maxTransferSize: UInt64?
    /// Most descriptors in a batch (`max_batch_size`).
    public var maxBatchSize: Int?
    /// Whether the device blocks on page faults instead of reporting them (`block_on_fault`).
    public var blockOnFault: Bool?
    /// The character device for user submission (`<dev>/dsa/wqX.Y`).
    public var devicePath: String
    /// Whether that node exists.
    public var nodePresent: Bool

    /// True for a DSA (not IAX) queue.
    public var isDSA: Bool { device?.hasPrefix("dsa") ?? false }
    /// True for a shared queue (ENQCMD); false for dedicated (MOVDIR64B).
    public var isShared: Bool { mode == "shared" }

    /// Why user space cannot submit to this queue; nil when it can.
    public var unusableReason: String? {
        if !isDSA { return "\(device ?? "unknown device") is not a DSA device (this backend encodes DSA descriptors only)" }
        if type != "user" { return "type is \(type ?? "unknown"), not user (configure it with accel-config: --type=user)" }
        if state != "enabled" { return "state is \(state ?? "unknown") (enable it: accel-config enable-wq \(device ?? "dsaN")/\(name))" }
        if !nodePresent { return "\(devicePath) missing" }
        return nil
    }

    /// One line for `dmactl doctor`.
    public var summary: String {
        "\(name) of \(device ?? "?"): \(mode ?? "?") \(type ?? "?") queue, \(state ?? "?"), size \(size.map(String.init) ?? "?"), max transfer \(maxTransferSize.map(String.init) ?? "?") bytes, max batch \(maxBatchSize.map(String.init) ?? "?"), block on fault \(blockOnFault.map { $0 ? "on" : "off" } ?? "?")"
    }
}

/// Lists idxd work queues under `<sysfs>/bus/dsa/devices`.
public enum IDXDScanner {
    /// The work queues; nil when `<sysfs>/bus/dsa` does not exist (idxd not loaded, or no device).
    public static func scan(_ paths: SystemPaths) -> [IDXDWorkQueueInfo]? {
        guard SystemFiles.exists("\(paths.sysfs)/bus/dsa") else { return nil }
        let root = "\(paths.sysfs)/bus/dsa/devices"
        return (SystemFiles.entries(root) ?? []).filter { $0.hasPrefix("wq") }.map { name in
            let directory = "\(root)/\(name)"
            let parent = readLinkParent("\(directory)")
            let node = "\(paths.dev)/dsa/\(name)"
            return IDXDWorkQueueInfo(
                name: name, device: parent,
                mode: SystemFiles.attribute("\(directory)/mode"),
                type: SystemFiles.attribute("\(directory)/type"),
                state: SystemFiles.attribute("\(directory)/state"),
                size: SystemFiles.integer("\(directory)/size").map { Int($0) },
                maxTransferSize: SystemFiles.integer("\(directory)/max_transfer_size").flatMap { UInt64(exactly: $0) },
                maxBatchSize: SystemFiles.integer("\(directory)/max_batch_size").map { Int($0) },
                blockOnFault: SystemFiles.integer("\(directory)/block_on_fault").map { $0 != 0 },
                devicePath: node,
                nodePresent: SystemFiles.isCharacterDevice(node)
            )
        }
    }

    /// "…/dsa0/wq0.0" → "dsa0": the parent directory of the link's target.
    static func readLinkParent(_ path: String) -> String? {
        guard let target = SystemFiles.readLink(path) else { return nil }
        let parts = target.split(separator: "/")
        return parts.count >= 2 ? String(parts[parts.count - 2]) : nil
    }
}
