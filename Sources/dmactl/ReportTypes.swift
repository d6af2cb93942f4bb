import DMAHost
import DriverHost

// The members several `--format json` documents share (docs/dmactl-json.md). Property names
// become snake_case keys.

/// A loaded driver.
struct DriverJSON: Encodable {
    let name: String
    let version: String
    /// Plugin ABI version the driver was built for, "major.minor".
    let abi: String
    let path: String
    /// Where the loader found it: explicit, environment or installed.
    let source: String
    let deviceTypes: [Int32]
    let devices: Int

    init(_ driver: LoadedDriver, deviceCount: Int) {
        name = driver.name
        version = driver.version
        abi = driver.abiVersion
        path = driver.path
        source = driver.candidate.source.rawValue
        deviceTypes = driver.deviceTypes.map(\.rawValue)
        devices = deviceCount
    }
}

/// A device as its driver's probe reported it.
struct DeviceJSON: Encodable {
    let id: String
    let driver: String
    let type: Int32
    let typeName: String
    let capabilities: [String]
    let alignmentBytes: UInt32
    /// Largest single transfer; null when the device has no limit.
    @Nullable var maxTransferBytes: UInt64?
    /// Most iovec entries per side of one operation; null when the device has no limit.
    @Nullable var maxSge: UInt32?
    let description: String

    init(_ device: HostedDevice) {
        let info = device.info
        id = device.id
        driver = device.driverName
        type = info.type.rawValue
        typeName = info.type.description
        capabilities = info.capabilities.names
        alignmentBytes = info.alignment
        maxTransferBytes = info.maxTransferSize
        maxSge = info.maxSGE
        description = info.description
    }
}

/// A memory domain.
struct DomainJSON: Encodable {
    @Nullable var id: String?
    let type: Int32
    let typeName: String
    /// The device that provides it; null for the system domain and domains created outside a driver.
    @Nullable var device: String?
    let system: Bool

    init(_ domain: MemoryDomain, device: String?) {
        id = domain.id
        type = domain.type.rawValue
        typeName = domain.type.description
        self.device = device
        system = domain.isSystem
    }
}

/// One line of a driver's self-diagnosis.
struct DiagnosticJSON: Encodable {
    let subject: String
    let ok: Bool
    let detail: String

    init(_ line: DriverDiagnostic) {
        subject = line.subject
        ok = line.ok
        detail = line.detail
    }
}

/// Completion fault counts: one member per kind (every kind, snake_case) and the total.
struct FaultCountsJSON: Encodable {
    let counts: CompletionFaultCounts

    init(_ counts: CompletionFaultCounts) { self.counts = counts }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for kind in CompletionFault.allCases { try container.encode(counts[kind], forKey: DynamicKey(kind.rawValue)) }
        try container.encode(counts.total, forKey: DynamicKey("total"))
    }
}
