import CDMAHostABI
import CPUCopyEngine
import DMADriverKit

/// An open CPU device: its engine and the ACCEL domain (id = the device id) whose callbacks
/// submit to it. The domain's user context is a `struct dmahost_cpu_domain_ctx` holding a
/// retained reference to the engine, released in ``close(host:)``.
final class CPUDevice: Sendable {
    let deviceID: String
    let domain: DomainHandle
    /// The engine; the domain's user context holds one extra reference to it (``open``), dropped in ``close(host:)``.
    let engine: CopyEngine

    /// The domain pointer (`struct spdk_memory_domain *`), sendable because the host registry owns it.
    struct DomainHandle: @unchecked Sendable {
        // @unchecked Sendable: an address owned by the host registry, valid until destroyed in close.
        let pointer: OpaquePointer
    }

    private init(deviceID: String, domain: OpaquePointer, engine: CopyEngine) {
        self.deviceID = deviceID
        self.domain = DomainHandle(pointer: domain)
        self.engine = engine
    }

    /// Starts an engine, creates the domain and registers its callbacks.
    static func open(deviceID: String, configuration: CopyEngineConfiguration, host: HostAPI) throws(DMAError) -> CPUDevice {
        let engine = try CopyEngine(configuration: configuration)
        let retained = Unmanaged.passRetained(engine).toOpaque()
        var context = dmahost_cpu_domain_ctx()
        context.size = MemoryLayout<dmahost_cpu_domain_ctx>.size
        context.magic = DMAHOST_CPU_DOMAIN_MAGIC
        context.completion_mode = configuration.completionMode == .poll ? DMAHOST_CPU_COMPLETION_POLL.rawValue : DMAHOST_CPU_COMPLETION_WORKER.rawValue
        context.workers = UInt32(configuration.workers)
        context.queue_depth = UInt32(configuration.queueDepth)
        context.engine = retained
        context.poll = cpuDomainPoll
        let domain: OpaquePointer
        do throws(DMAError) {
            domain = try withUnsafeBytes(of: &context) { bytes throws(DMAError) in
                try host.createDomain(deviceID: deviceID, type: .accel, id: deviceID, userContext: bytes)
            }
        } catch {
            try? engine.shutdown(.cancel)
            Unmanaged<CopyEngine>.fromOpaque(retained).release()
            throw error
        }
        host.setCallbacks(of: domain, translate: cpuDomainTranslate, pull: cpuDomainPull, push: cpuDomainPush,
                          transfer: cpuDomainTransfer, memzero: cpuDomainMemzero)
        return CPUDevice(deviceID: deviceID, domain: domain, engine: engine)
    }

    /// Drains the engine (every accepted operation completes), destroys the domain, releases the engine.
    /// Called from a completion callback (on a worker), the engine cannot drain: the device is
    /// then left as it is, and the error logged, rather than freed under running workers.
    func close(host: HostAPI) {
        do throws(DMAError) {
            try engine.shutdown(.drain)
        } catch {
            host.log(.error, "cannot close \(deviceID) now, it stays open: \(error.message)")
            return
        }
        host.destroyDomain(domain.pointer)
        Unmanaged.passUnretained(engine).release()
    }
}
