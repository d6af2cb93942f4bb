import DMADriverKit

/// The driver: one simulated device, `example-swift:0` of vendor type 1101, whose memory is host
/// memory; while open it has one memory domain (id = device id) served by a ``CopyUnit``.
///
/// The host calls probe, open, close, diagnose and shutdown one at a time (`dmahost/driver.h`).
final class ExampleDriver: DMADeviceDriver, @unchecked Sendable {
    // @unchecked Sendable: `domain` is written only by open, close and shutdown, which the host
    // calls one at a time; everything else is immutable.

    /// A vendor type (1000–1999).
    static let deviceType = DMADeviceType(rawValue: DMADeviceType.vendorRange.lowerBound + 101)

    let name = "example-swift"
    let version = "1.0.0"
    let deviceTypes = [ExampleDriver.deviceType]
    /// The one device's id: `<driver name>:<device>`.
    var deviceID: String { "\(name):0" }

    private let host: HostAPI
    private let unit = CopyUnit()
    private var domain: OwnedDomain<CopyUnit>?

    init(host: HostAPI) { self.host = host }

    func probe() throws(DMAError) -> [DMADeviceInfo] {
        [DMADeviceInfo(id: deviceID, type: Self.deviceType, description: "template copy engine (Swift, host memory, completes inline)",
                       capabilities: [.copy, .fill, .scatterGather])]
    }

    /// Creates the device's domain and registers its callbacks (``DomainCallbacks``).
    func open(deviceID: String) throws(DMAError) {
        guard deviceID == self.deviceID else { throw .noDevice("no device '\(deviceID)'; the device is \(self.deviceID)") }
        guard domain == nil else { return }
        domain = try DomainCallbacks.domains.createDomain(through: host, deviceID: deviceID, type: Self.deviceType, id: deviceID,
                                                          owner: unit, callbacks: DomainCallbacks.all)
    }

    /// Destroys the domain: nothing is in flight, every operation completed before its callback returned.
    func close(deviceID: String) {
        guard deviceID == self.deviceID, let domain else { return }
        domain.destroy()
        self.domain = nil
    }

    func diagnose() -> [DriverDiagnostic] {
        [DriverDiagnostic(subject: "hardware", ok: true, detail: "none needed: \(deviceID) is simulated (template plugin)")]
    }

    func shutdown() { close(deviceID: deviceID) }
}
