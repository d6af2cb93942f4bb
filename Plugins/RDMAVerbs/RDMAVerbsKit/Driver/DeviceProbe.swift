import CIBVerbsShim
import DMADriverKit

/// Finds RDMA devices and describes them as ``DMADeviceInfo``.
enum DeviceProbe {
    /// Prefix of the backend's device ids ("rdma:rxe0").
    static let prefix = "rdma:"

    /// What the backend can do on every device.
    static let capabilities: DMACapabilities = [.copy, .scatterGather, .translateRDMA, .invalidate, .transfer]

    /// One probe's findings: the devices, and what went wrong for devices that were skipped
    /// or for the listing itself (reported by `diagnose()`).
    struct Findings: Sendable {
        var devices: [DMADeviceInfo] = []
        var problems: [String] = []
    }

    /// Lists devices with `ibv_get_device_list` and reads each one's limits.
    static func run() -> Findings {
        var findings = Findings()
        let names: [String]
        do throws(VerbsError) {
            names = try VerbsDeviceList.names()
        } catch {
            findings.problems.append(error.description)
            return findings
        }
        for name in names {
            do throws(VerbsError) {
                let context = try VerbsDeviceList.open(name: name)
                let profile = try DeviceProfile(context: context)
                findings.devices.append(info(for: profile))
            } catch {
                findings.problems.append("\(name) skipped: \(error)")
            }
        }
        return findings
    }

    /// The device info of a device.
    static func info(for profile: DeviceProfile) -> DMADeviceInfo {
        let driver = SystemFiles.linkName("/sys/class/infiniband/\(profile.name)/device/driver")
            ?? (profile.name.hasPrefix("rxe") ? "rdma_rxe (soft-RoCE)" : "unknown driver")
        let link = profile.isEthernet ? "RoCE" : "InfiniBand"
        let gid = profile.gidText.map { ", GID[\(profile.gidIndex ?? 0)] \($0)" } ?? ""
        let description = "\(profile.name) (\(driver)), \(link) port \(profile.port) \(profile.portStateName), MTU \(profile.mtuBytes)\(gid)"
        return DMADeviceInfo(id: prefix + profile.name, type: .rdma, description: description, capabilities: capabilities,
                             maxTransferSize: min(profile.maxMessage, profile.maxRegion), alignment: 1,
                             maxSGE: UInt32(clamping: profile.maxSGE))
    }

    /// The device name of an id, nil when the id is not one of ours.
    static func deviceName(of id: String) -> String? {
        guard id.hasPrefix(prefix), id.count > prefix.count else { return nil }
        return String(id.dropFirst(prefix.count))
    }
}
