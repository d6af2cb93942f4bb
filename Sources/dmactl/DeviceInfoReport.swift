import DMAHost
import DriverHost

/// The `info` document, and its text.
struct DeviceInfoReport: Encodable {
    /// One capability bit of dmahost/driver.h and whether the device has it.
    struct Capability: Encodable {
        let name: String
        /// The bit's value in `dmahost_device_info.capabilities`.
        let bit: UInt64
        let present: Bool
    }

    /// The device's limits.
    struct Limits: Encodable {
        let alignmentBytes: UInt32
        /// Null: no limit.
        @Nullable var maxTransferBytes: UInt64?
        /// Null: no limit.
        @Nullable var maxSge: UInt32?
    }

    /// A domain of the opened device.
    struct Domain: Encodable {
        let domain: DomainJSON
        /// Bytes of the user context the domain carries (e.g. dmahost/dmabuf.h's allocation interface).
        let userContextBytes: Int

        private enum Keys: String, CodingKey { case userContextBytes }

        func encode(to encoder: any Encoder) throws {
            try domain.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(userContextBytes, forKey: .userContextBytes)
        }
    }

    let device: DeviceJSON
    let driver: DriverJSON
    let capabilities: [Capability]
    let limits: Limits
    let domains: [Domain]
    /// Why the device did not open; null when it did.
    @Nullable var openError: String?
    /// The driver's diagnose lines about this device (its counters and state).
    let counters: [DiagnosticJSON]
    let completionFaults: FaultCountsJSON

    init(device: HostedDevice, driver: LoadedDriver, deviceCount: Int, domains: [MemoryDomain], openError: String?,
         counters: [DriverDiagnostic], faults: CompletionFaultCounts) {
        let info = device.info
        self.device = DeviceJSON(device)
        self.driver = DriverJSON(driver, deviceCount: deviceCount)
        capabilities = DMACapabilities.all.elements.map { bit in
            Capability(name: bit.names.first ?? "", bit: bit.rawValue, present: info.capabilities.contains(bit))
        }
        limits = Limits(alignmentBytes: info.alignment, maxTransferBytes: info.maxTransferSize, maxSge: info.maxSGE)
        self.domains = domains.map { Domain(domain: DomainJSON($0, device: device.id), userContextBytes: $0.userContext?.count ?? 0) }
        self.openError = openError
        self.counters = counters.map(DiagnosticJSON.init)
        completionFaults = FaultCountsJSON(faults)
    }

    /// The text form, in the manner of `ibv_devinfo -v`.
    var text: [String] {
        var lines = ["device \(device.id)"]
        lines += Formatting.table([
            ["driver:", "\(driver.name) \(driver.version) (ABI \(driver.abi), \(driver.path))"],
            ["type:", "\(device.typeName) (\(device.type))"],
            ["description:", device.description],
        ])
        lines.append("  capabilities:")
        lines += Formatting.table(capabilities.map { [$0.name, $0.present ? "yes" : "no", "0x" + String($0.bit, radix: 16)] }, indent: "    ")
        lines.append("  limits:")
        lines += Formatting.table([
            ["alignment", "\(limits.alignmentBytes) bytes"],
            ["max transfer", limits.maxTransferBytes.map { "\($0) bytes" } ?? "no limit"],
            ["max sge", limits.maxSge.map { "\($0) entries per side" } ?? "no limit"],
        ], indent: "    ")
        if let openError {
            lines.append("  domains: the device did not open: \(openError)")
        } else {
            lines.append("  domains (\(domains.count)):")
            lines += Formatting.table(domains.map { entry in
                [entry.domain.id ?? "(no id)", entry.domain.typeName, "user context \(entry.userContextBytes) bytes"]
            }, indent: "    ")
        }
        lines.append("  driver counters (\(counters.count)):")
        lines += counters.map { "    [\($0.ok ? "ok" : "fail")] \($0.subject): \($0.detail)" }
        lines.append("  completion faults: \(completionFaultsText)")
        return lines
    }

    private var completionFaultsText: String {
        completionFaults.counts.total == 0 ? "none" : completionFaults.counts.description
    }
}
