import DMADriverKit

extension DMAEngineDriver {
    /// Opens a DSA work queue: maps its portal and creates a domain (id = device id) whose
    /// operations run as DSA descriptors.
    func openDSA(_ device: DiscoveredDevice, queue info: IDXDWorkQueueInfo) throws(DMAError) -> OpenDevice {
        let queue = try DSAWorkQueue(info: info, cpu: cpu)
        let engine = DSAEngine(domainID: device.domainID, queue: queue, host: host)
        let domain = try createDomain(of: device, in: DSAEngine.domains, owner: engine, callbacks: DSACallbacks.all)
        host.log(.info, "opened \(device.info.id): DSA \(info.mode ?? "") work queue \(info.devicePath)")
        return OpenDevice(domain, quiesce: { engine.worker.waitIdle() })
    }
}
