import DMASync
import CDMAHostABI
import DMABuf
import DMADriverKit

/// The dmaengine backend: dma-buf memory domains (udmabuf, dma-buf heaps, DRM PRIME), Intel DSA
/// user work queues, and discovery of kernel DMA engines (reported, not driven: Linux offers
/// user space no dmaengine API).
///
/// Device ids are `dmaengine:<what>` ("dmaengine:udmabuf", "dmaengine:heap-system",
/// "dmaengine:card0", "dmaengine:wq0.0"); opening one creates one domain, whose id is
/// `dmabuf:<source>` for dma-buf devices ("dmabuf:udmabuf", "dmabuf:heap-system", "dmabuf:vgem")
/// and the device id for DSA queues.
public final class DMAEngineDriver: DMADeviceDriver {
    /// "dmaengine".
    public let name = "dmaengine"
    /// Driver version.
    public let version = "1.0.0"
    /// Every domain is of type DMA.
    public let deviceTypes: [DMADeviceType] = [.dma]
    /// The dma-buf domains' ids start with "dmabuf:", besides the driver's own "dmaengine:"
    /// (the host refuses domain ids outside the namespace a driver declares).
    public let domainIDPrefixes = ["dmabuf"]

    let host: HostAPI
    let paths: SystemPaths
    let cpu: CPUFeatures
    private let state = Locked<State>(State())

    private struct State {
        var discovered: [String: DiscoveredDevice] = [:]
        var open: [String: OpenDevice] = [:]
    }

    /// Creates the driver; its domain callbacks will use `host`.
    /// - Parameters:
    ///   - host: The host table from the plugin entry.
    ///   - paths: Where to look for kernel interfaces (fixtures in tests).
    ///   - cpu: CPU submission instructions (tests inject them).
    public init(host: HostAPI, paths: SystemPaths = .live, cpu: CPUFeatures = .current) {
        self.host = host
        self.paths = paths
        self.cpu = cpu
    }

    /// Runs discovery and reports the devices that can be opened.
    public func probe() throws(DMAError) -> [DMADeviceInfo] {
        let report = Discovery.run(paths, cpu: cpu)
        state.withLock { state in
            state.discovered = Dictionary(report.devices.map { ($0.info.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
        return report.devices.map(\.info)
    }

    /// Every check discovery makes, with what is missing and how to get it.
    public func diagnose() -> [DriverDiagnostic] {
        Discovery.run(paths, cpu: cpu).diagnostics
    }

    /// Opens a device from the last probe: creates its domain and registers its callbacks.
    public func open(deviceID: String) throws(DMAError) {
        let (device, alreadyOpen) = state.withLock { ($0.discovered[deviceID], $0.open[deviceID] != nil) }
        guard let device else {
            throw .noDevice("no device \(deviceID) in the last probe of driver dmaengine; run probe again (dmactl list)")
        }
        guard !alreadyOpen else { throw .invalidArgument("device \(deviceID) is open already") }
        let opened = try openDevice(device)
        let duplicate = state.withLock { state -> Bool in
            if state.open[deviceID] != nil { return true }
            state.open[deviceID] = opened
            return false
        }
        if duplicate {
            tearDown(opened)
            throw .invalidArgument("device \(deviceID) was opened concurrently")
        }
    }

    /// Closes a device: waits for its operations in flight, destroys its domain, frees its buffers.
    public func close(deviceID: String) {
        guard let opened = state.withLock({ $0.open.removeValue(forKey: deviceID) }) else { return }
        tearDown(opened)
    }

    /// Closes every open device.
    public func shutdown() {
        let all = state.withLock { state -> [OpenDevice] in
            defer { state.open.removeAll() }
            return Array(state.open.values)
        }
        all.forEach(tearDown)
    }

    /// Ids of the open devices.
    public var openDeviceIDs: [String] { state.withLock { $0.open.keys.sorted() } }

    /// The domain of an open device (`struct spdk_memory_domain *`), or nil.
    public func domain(ofDevice deviceID: String) -> OpaquePointer? {
        state.withLock { $0.open[deviceID]?.domain.pointer }
    }

    private func tearDown(_ opened: OpenDevice) {
        opened.quiesce()
        opened.destroy()
    }

    private func openDevice(_ device: DiscoveredDevice) throws(DMAError) -> OpenDevice {
        switch device.source {
        case .udmabuf(let info):
            let udmabuf = try UDMABufDevice(path: info.path, sysfsRoot: paths.sysfs)
            return try openDMABuf(device, source: .udmabuf(udmabuf))
        case .heap(let info):
            return try openDMABuf(device, source: .heap(DMAHeap(name: info.name, devRoot: paths.dev)))
        case .drm(let info):
            guard let path = info.primaryPath else { throw .noDevice("\(device.info.id) has no primary node to open") }
            return try openDMABuf(device, source: .drm(DRMDevice(path: path)))
        case .dsa(let info):
            return try openDSA(device, queue: info)
        }
    }

    private func openDMABuf(_ device: DiscoveredDevice, source: DMABufSource) throws(DMAError) -> OpenDevice {
        let engine = DMABufEngine(domainID: device.domainID, source: source, host: host)
        var context = engine.makeContext()
        let domain = try withUnsafeBytes(of: &context) { bytes throws(DMAError) in
            try createDomain(of: device, in: DMABufEngine.domains, owner: engine, publicContext: bytes, callbacks: DMABufCallbacks.all)
        }
        host.log(.info, "opened \(device.info.id): domain \(device.domainID)")
        return OpenDevice(domain, quiesce: { engine.shutdown() })
    }

    /// Creates the domain of an opened device (type DMA, id `device.domainID`), owned by `engine`.
    func createDomain<Engine>(of device: DiscoveredDevice, in domains: borrowing DomainOwnership<Engine>, owner engine: Engine,
                              publicContext: UnsafeRawBufferPointer? = nil,
                              callbacks: DomainCallbackSet) throws(DMAError) -> OwnedDomain<Engine> {
        try domains.createDomain(through: host, deviceID: device.info.id, type: .dma, id: device.domainID, owner: engine,
                                 publicContext: publicContext, callbacks: callbacks)
    }
}
