import DMADriverKit

/// A kernel dmaengine channel (`/sys/class/dma/dma<N>chan<M>`). Channels serve in-kernel
/// clients only: Linux has no user-space interface to submit to them.
public struct DMAChannelInfo: Sendable, Hashable {
    /// Channel name, e.g. "dma0chan3".
    public var name: String
    /// The device providing it (its parent: a PCI address such as "0000:00:04.0", or a platform device).
    public var device: String?
    /// The kernel driver bound to that device ("ioatdma", "idxd", "ptdma"...).
    public var driver: String?
    /// Whether a kernel client holds the channel (`in_use`).
    public var inUse: Bool?
    /// Copies done so far (`memcpy_count`).
    public var memcpyCount: UInt64?
    /// Bytes moved so far (`bytes_transferred`).
    public var bytesTransferred: UInt64?

    /// One line for `dmactl doctor`.
    public var summary: String {
        var parts = [name]
        if let device { parts.append("device \(device)") }
        parts.append("driver \(driver ?? "unknown")")
        if let inUse { parts.append(inUse ? "in use" : "idle") }
        if let memcpyCount { parts.append("\(memcpyCount) copies") }
        return parts.joined(separator: ", ")
    }
}

/// Lists `/sys/class/dma`.
public enum DMAChannelScanner {
    /// The channels under `<sysfs>/class/dma`; nil when that directory does not exist
    /// (no dmaengine support in the kernel, or nothing registered the class).
    public static func scan(sysfs: String) -> [DMAChannelInfo]? {
        let root = "\(sysfs)/class/dma"
        guard let names = SystemFiles.entries(root) else { return nil }
        return names.filter { $0.hasPrefix("dma") }.map { name in
            let directory = "\(root)/\(name)"
            return DMAChannelInfo(
                name: name,
                device: SystemFiles.linkName("\(directory)/device"),
                driver: SystemFiles.linkName("\(directory)/device/driver"),
                inUse: SystemFiles.integer("\(directory)/in_use").map { $0 != 0 },
                memcpyCount: SystemFiles.integer("\(directory)/memcpy_count").flatMap { UInt64(exactly: $0) },
                bytesTransferred: SystemFiles.integer("\(directory)/bytes_transferred").flatMap { UInt64(exactly: $0) }
            )
        }
    }
}
