import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The Swift vendor sample: simulated devices `vendor-swift:0` and `vendor-swift:1` of vendor
/// type 1000, each a ``CopyEngine`` on host memory with one memory domain while open.
///
/// The host calls probe, open, close, diagnose and shutdown one at a time (driver.h), which is
/// what makes the unsynchronised `domain` fields safe (see the `@unchecked Sendable` note).
final class VendorSwiftDriver: DMADeviceDriver, @unchecked Sendable {
    // @unchecked Sendable: `devices` is fixed at init; each device's `domain` is written only
    // by open/close/shutdown, which the host serialises per plugin.

    /// Vendor type 1000 (SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START).
    static let deviceType = DMADeviceType(rawValue: DMADeviceType.vendorRange.lowerBound)
    /// Number of simulated devices.
    static let deviceCount = 2
    /// The configuration variable the sample reads, declared through ``configVariables`` so that
    /// `dmactl env` lists it.
    static let devicesVariable = DMAConfigVariable(
        name: "DMAHOST_VENDOR_SWIFT_DEVICES", defaultValue: "\(deviceCount)",
        doc: "How many simulated devices probe reports (0...\(deviceCount)); other values are ignored.")

    /// One simulated device.
    final class Device {
        let id: String
        let engine = CopyEngine()
        var domain: OwnedDomain<CopyEngine>?
        init(id: String) { self.id = id }
    }

    let name = "vendor-swift"
    let version = "1.0.0"
    let deviceTypes = [VendorSwiftDriver.deviceType]
    let configVariables = [VendorSwiftDriver.devicesVariable]
    private let host: HostAPI
    private let devices: [Device]

    init(host: HostAPI) {
        self.host = host
        self.devices = (0..<Self.deviceCount).map { Device(id: "vendor-swift:\($0)") }
    }

    func probe() throws(DMAError) -> [DMADeviceInfo] {
        let value = getenv(Self.devicesVariable.name).flatMap { Int(String(cString: $0)) }
        let reported = value.map { (0...Self.deviceCount).contains($0) ? $0 : Self.deviceCount } ?? Self.deviceCount
        return devices.prefix(reported).enumerated().map { index, device in
            DMADeviceInfo(id: device.id, type: Self.deviceType,
                          description: "sample copy engine \(index) (Swift, host memory, worker thread)",
                          capabilities: [.copy, .fill, .scatterGather, .translateIdentity, .transfer])
        }
    }

    func open(deviceID: String) throws(DMAError) {
        guard let device = devices.first(where: { $0.id == deviceID }) else {
            throw .noDevice("no device '\(deviceID)'; the devices are \(devices.map(\.id).joined(separator: " and "))")
        }
        guard device.domain == nil else { return }
        try device.engine.start()
        do throws(DMAError) {
            device.domain = try DomainCallbacks.domains.createDomain(through: host, deviceID: device.id, type: Self.deviceType, id: device.id,
                                                                     owner: device.engine, callbacks: DomainCallbacks.all)
        } catch {
            device.engine.stop()
            throw error
        }
    }

    /// Finishes in-flight requests (their completions run), then destroys the domain.
    func close(deviceID: String) {
        guard let device = devices.first(where: { $0.id == deviceID }), let domain = device.domain else { return }
        device.engine.stop()
        domain.destroy()
        device.domain = nil
    }

    func diagnose() -> [DriverDiagnostic] {
        [
            DriverDiagnostic(subject: "engine", ok: true,
                             detail: "software copy engine on host memory: one worker thread per open device, queue depth \(CopyEngine.queueDepth) (a full queue returns -EAGAIN)"),
            DriverDiagnostic(subject: "hardware", ok: true,
                             detail: "none needed: \(devices.map(\.id).joined(separator: " and ")) are simulated (sample plugin)"),
        ]
    }

    func shutdown() {
        for device in devices { close(deviceID: device.id) }
    }
}
