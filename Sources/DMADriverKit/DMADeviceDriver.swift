/// A backend that finds DMA-capable devices and turns them into memory domains.
///
/// The host defines this protocol. Inside the host, every loaded plugin is wrapped back into
/// a value of this type. A Swift plugin implements it and exports it with
/// ``DriverExport/entry(host:make:)``; a C plugin fills `struct dmahost_driver_ops` directly.
/// The host calls these methods from one thread at a time per driver.
public protocol DMADeviceDriver: AnyObject, Sendable {
    /// Short unique name; also the prefix of device ids ("cpu", "rdma", "dmaengine").
    var name: String { get }
    /// Version string, e.g. "1.0.0".
    var version: String { get }
    /// The device types this driver serves.
    var deviceTypes: [DMADeviceType] { get }
    /// Id prefixes its domains may use besides ``name`` (`dmahost_driver_ops.domain_id_prefixes`):
    /// a domain id must be `<name or prefix>:<rest>`. Default: none.
    var domainIDPrefixes: [String] { get }
    /// The configuration variables the driver reads from the environment
    /// (`dmahost_driver_ops.config_variables`), listed by `dmactl env`. Default: none.
    var configVariables: [DMAConfigVariable] { get }
    /// Finds devices. Zero devices is not an error: explain the reason in ``diagnose()``.
    func probe() throws(DMAError) -> [DMADeviceInfo]
    /// Opens a device found by ``probe()``: creates its memory domains and registers their callbacks.
    func open(deviceID: String) throws(DMAError)
    /// Closes an open device: destroys its domains once in-flight operations completed.
    func close(deviceID: String)
    /// What the driver checked (modules, device nodes, libraries) and what it found.
    func diagnose() -> [DriverDiagnostic]
    /// Releases everything; nothing else is called afterwards.
    func shutdown()
}

extension DMADeviceDriver {
    /// Default: the driver's domains use only its name as id prefix.
    public var domainIDPrefixes: [String] { [] }
    /// Default: the driver reads no variables.
    public var configVariables: [DMAConfigVariable] { [] }
    /// Default: nothing to close.
    public func close(deviceID: String) {}
    /// Default: no checks to report.
    public func diagnose() -> [DriverDiagnostic] { [] }
    /// Default: nothing to release.
    public func shutdown() {}
}
