import DMADriverKit

extension DMAEngineDriver {
    /// Opens a DSA work queue: maps its portal and creates a domain (id = device id) whose
    /// operations run as DSA descriptors.
    func openDSA(_ device: DiscoveredDevice, queue info: IDXDWorkQueueInfo) throws(DMAError) -> OpenDevice {
        let queue = try DSAWorkQueue(info: info, cpu: cpu)
        let engine = DSAEngine(domainID: device.domainID, queue: queue, host: host)
        let retained = Unmanaged.passRetained(engine)
        var context = DSADomainContext(impl: retained.toOpaque())
        let domain: OpaquePointer
        do throws(DMAError) {
            domain = try withUnsafeBytes(of: &context) { (bytes) throws(DMAError) -> OpaquePointer in
                try host.createDomain(deviceID: device.info.id, type: .dma, id: device.domainID, userContext: bytes)
            }
        } catch {
            retained.release()
            throw error
        }
        host.setCallbacks(of: domain, translate: DSACallbacks.translate, pull: DSACallbacks.pull, push: DSACallbacks.push,
                          transfer: DSACallbacks.transfer, memzero: DSACallbacks.memzero)
        host.log(.info, "opened \(device.info.id): DSA \(info.mode ?? "") work queue \(info.devicePath)")
        let handle = UnmanagedEngine(retained)
        return OpenDevice(domain: DomainHandle(pointer: domain), quiesce: { engine.worker.waitIdle() }, release: { handle.release() })
    }
}
