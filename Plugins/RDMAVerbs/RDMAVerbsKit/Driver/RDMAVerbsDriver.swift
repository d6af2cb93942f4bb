import DMASync
import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The RDMA verbs driver: one device per libibverbs device (`rdma:<name>`), type RDMA.
///
/// Opening a device opens its context and protection domain, connects a loopback pair of RC
/// queue pairs, starts its completion thread, and creates two domains, with ids `rdma:<name>`
/// and `SPDK_RDMA_DMA_DEVICE`, whose user context is `struct spdk_memory_domain_rdma_ctx
/// { size, ibv_pd }` and whose callbacks are ``DomainCallbacks`` (translate, invalidate,
/// pull, push, transfer). With no device, kernel module or provider the driver still loads,
/// reports zero devices, and ``diagnose()`` says what is missing.
public final class RDMAVerbsDriver: DMADeviceDriver {
    public let name = "rdma"
    public let version = "1.0.0"
    public let deviceTypes: [DMADeviceType] = [.rdma]
    /// `DMAHOST_RDMA_*`: see ``EngineConfiguration``.
    public var configVariables: [DMAConfigVariable] { EngineConfiguration.variables }

    /// An open device.
    struct OpenDevice: Sendable {
        let engine: RDMAEngine
        /// Its domains: first the one with the device id, then the `SPDK_RDMA_DMA_DEVICE` one.
        let domains: [OwnedDomain<DomainBinding>]
    }

    private let host: HostAPI
    private let configuration: EngineConfiguration
    private let open = Locked<[String: OpenDevice]>([:])
    private let lastProbe = Locked<DeviceProbe.Findings?>(nil)

    /// Creates the driver; the engine logs through the host from now on.
    public init(host: HostAPI, configuration: EngineConfiguration = .fromEnvironment()) {
        self.host = host
        self.configuration = configuration
        EngineLog.install { message in host.log(.warning, message) }
    }

    public func probe() throws(DMAError) -> [DMADeviceInfo] {
        let findings = DeviceProbe.run()
        lastProbe.withLock { $0 = findings }
        return findings.devices
    }

    public func open(deviceID: String) throws(DMAError) {
        guard let deviceName = DeviceProbe.deviceName(of: deviceID) else {
            throw .noDevice("\(deviceID) is not an RDMA device id (expected rdma:<ibv device name>, e.g. rdma:rxe0)")
        }
        if open.withLock({ $0[deviceID] != nil }) { return }
        let engine: RDMAEngine
        do throws(VerbsError) {
            let context = try VerbsDeviceList.open(name: deviceName)
            engine = try RDMAEngine(context: context, configuration: configuration)
            try engine.startCompletionThread()
        } catch {
            throw error.dmaError
        }
        let binding = DomainBinding(engine: engine, host: host)
        var domains: [OwnedDomain<DomainBinding>] = []
        var context = spdk_memory_domain_rdma_ctx(size: MemoryLayout<spdk_memory_domain_rdma_ctx>.size,
                                                  ibv_pd: engine.protectionDomainHandle)
        do throws(DMAError) {
            try withUnsafeBytes(of: &context) { bytes throws(DMAError) in
                for id in [deviceID, SPDK_RDMA_DMA_DEVICE] {
                    domains.append(try DomainBinding.domains.createDomain(through: host, deviceID: deviceID, type: .rdma, id: id,
                                                                          owner: binding, publicContext: bytes,
                                                                          callbacks: DomainCallbacks.all))
                }
            }
        } catch {
            for domain in domains { domain.revoke() }
            engine.close()
            for domain in domains { domain.destroy() }
            throw error
        }
        open.withLock { $0[deviceID] = OpenDevice(engine: engine, domains: domains) }
    }

    /// Revokes the device's domains (callbacks from now on return -ENODEV), closes its engine
    /// (operations in flight complete), then destroys the domains.
    public func close(deviceID: String) {
        guard let device = open.withLock({ $0.removeValue(forKey: deviceID) }) else { return }
        for domain in device.domains { domain.revoke() }
        device.engine.close()
        for domain in device.domains { domain.destroy() }
    }

    public func diagnose() -> [DriverDiagnostic] {
        let engines = open.withLock { $0.values.map(\.engine) }
        return Diagnosis.run(lastProbe: lastProbe.withLock { $0 }, openEngines: engines)
    }

    public func shutdown() {
        for id in open.withLock({ Array($0.keys) }) { close(deviceID: id) }
    }

    /// The engine of an open device (for tests and benchmarks in the same process).
    public func engine(for deviceID: String) -> RDMAEngine? {
        open.withLock { $0[deviceID]?.engine }
    }

    /// The domains of an open device (`struct spdk_memory_domain *`): first the one with the
    /// device id, then the `SPDK_RDMA_DMA_DEVICE` one.
    public func domains(for deviceID: String) -> [OpaquePointer] {
        open.withLock { $0[deviceID]?.domains.map(\.pointer) ?? [] }
    }
}
