import CDMAHostABI
import CPUCopyEngine
import DMADriverKit

/// An open CPU device: its engine and the ACCEL domain (id = the device id) whose callbacks
/// submit to it. The domain is owned by the engine (``cpuDomains``); its public user context
/// is a `struct dmahost_cpu_domain_ctx` whose `engine` stays valid until ``close(host:)``.
final class CPUDevice: Sendable {
    let deviceID: String
    let domain: OwnedDomain<CopyEngine>
    /// The engine (the domain holds a reference to it until it is destroyed).
    var engine: CopyEngine { domain.owner }

    private init(deviceID: String, domain: OwnedDomain<CopyEngine>) {
        self.deviceID = deviceID
        self.domain = domain
    }

    /// Starts an engine, creates the domain and registers its callbacks.
    static func open(deviceID: String, configuration: CopyEngineConfiguration, host: HostAPI) throws(DMAError) -> CPUDevice {
        let engine = try CopyEngine(configuration: configuration)
        var context = dmahost_cpu_domain_ctx()
        context.size = MemoryLayout<dmahost_cpu_domain_ctx>.size
        context.magic = DMAHOST_CPU_DOMAIN_MAGIC
        context.completion_mode = configuration.completionMode == .poll ? DMAHOST_CPU_COMPLETION_POLL.rawValue : DMAHOST_CPU_COMPLETION_WORKER.rawValue
        context.workers = UInt32(configuration.workers)
        context.queue_depth = UInt32(configuration.queueDepth)
        context.engine = Unmanaged.passUnretained(engine).toOpaque()
        context.poll = cpuDomainPoll
        do throws(DMAError) {
            let domain = try withUnsafeBytes(of: &context) { bytes throws(DMAError) in
                try cpuDomains.createDomain(through: host, deviceID: deviceID, type: .accel, id: deviceID, owner: engine,
                                            publicContext: bytes, callbacks: cpuDomainCallbacks)
            }
            return CPUDevice(deviceID: deviceID, domain: domain)
        } catch {
            try? engine.shutdown(.cancel)
            throw error
        }
    }

    /// Makes the domain unreachable for new callbacks (-ENODEV), drains the engine (every
    /// accepted operation completes), destroys the domain and releases the engine.
    /// Called from a completion callback (on a worker), the engine cannot drain: the device is
    /// then left as it is, and the error logged, rather than freed under running workers.
    func close(host: HostAPI) {
        do throws(DMAError) {
            try engine.shutdown(.drain)
        } catch {
            host.log(.error, "cannot close \(deviceID) now, it stays open: \(error.message)")
            return
        }
        domain.destroy()
    }
}
