import CDMAHostABI
import DMAHost
import DriverHost

/// One side of a copy, or the device of a benchmark: the system domain or a domain of an opened device.
struct Endpoint: Sendable {
    /// What names it: `system`, a device id, or the domain id it was chosen by.
    let name: String
    /// The device that provides the domain; nil for the system domain.
    let deviceID: String?
    let domain: MemoryDomain
    let alignment: Int

    init(name: String, deviceID: String? = nil, domain: MemoryDomain, alignment: Int) {
        self.name = name
        self.deviceID = deviceID
        self.domain = domain
        self.alignment = alignment
    }

    var isSystem: Bool { domain.isSystem }

    /// The allocation interface of a dma-buf domain (`dmahost/dmabuf.h`); nil for other domains.
    var dmabufContext: UnsafePointer<dmahost_dmabuf_domain_ctx>? {
        guard let user = domain.userContext, let base = user.baseAddress else { return nil }
        return dmahost_dmabuf_domain_ctx_get(base, user.count)
    }

    /// The region and allocation interface of a remote domain (`dmahost/remote.h`); nil for other domains.
    var remoteContext: UnsafePointer<dmahost_remote_domain_ctx>? {
        guard let user = domain.userContext, let base = user.baseAddress else { return nil }
        return dmahost_remote_domain_ctx_get(base, user.count)
    }

    /// Resolves 'system', a selection of exactly one device (whose first domain is taken), or a
    /// domain id as `dmactl list` prints it (e.g. `dmabuf:udmabuf`: the device that provides it
    /// is opened and that domain is taken). A device id wins over a domain id of the same text.
    /// - Parameter command: The subcommand that needs the endpoint ("copy", "bench"), named in errors.
    static func resolve(_ selection: String, host: DriverHost, for command: String) throws(Failure) -> Endpoint {
        if selection == "system" { return Endpoint(name: "system", domain: .system, alignment: 1) }
        do throws(DMAError) {
            _ = try host.select(selection)
        } catch {
            if case .noDevice = error, !host.drivers.isEmpty, let endpoint = try openDomain(selection, host: host) { return endpoint }
            throw .selection(error, selection, host: host, note: " (neither a device nor a domain id)")
        }
        return try open(host.oneDevice(selection, for: command), host: host)
    }

    /// Opens `device` and takes its first memory domain.
    static func open(_ device: HostedDevice, host: DriverHost) throws(Failure) -> Endpoint {
        let domains: [MemoryDomain]
        do throws(DMAError) {
            domains = try host.open(deviceID: device.id)
        } catch {
            throw Failure(error, context: "open \(device.id)")
        }
        guard let domain = domains.first else { throw Failure(.failed, "device \(device.id) opened without a memory domain") }
        return Endpoint(name: device.id, deviceID: device.id, domain: domain, alignment: Int(device.info.alignment))
    }

    /// Finds the device whose domain has id `domainID` by opening the devices that may provide
    /// it: those of the driver whose name or declared domain-id prefix is the id's prefix, or every
    /// device for an id without one of those prefixes (`SPDK_RDMA_DMA_DEVICE`). A device this
    /// search opened that does not provide it is closed again. Nil when no device provides it.
    private static func openDomain(_ domainID: String, host: DriverHost) throws(Failure) -> Endpoint? {
        let prefix = domainID.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        let owners = Set(host.drivers.filter { $0.name == prefix || $0.domainIDPrefixes.contains(prefix) }.map(\.name))
        let candidates = host.devices.filter { owners.isEmpty || owners.contains($0.driverName) }
        for device in candidates {
            let wasOpen = host.isOpen(device.id)
            guard let domains = try? host.open(deviceID: device.id) else { continue }
            if let domain = domains.first(where: { $0.id == domainID }) {
                return Endpoint(name: domainID, deviceID: device.id, domain: domain, alignment: Int(device.info.alignment))
            }
            if !wasOpen { try? host.close(deviceID: device.id) }
        }
        return nil
    }
}

/// An endpoint in a JSON document: what it was named by, its device and its domain.
struct EndpointJSON: Encodable {
    let name: String
    @Nullable var device: String?
    @Nullable var domain: String?

    init(_ endpoint: Endpoint) {
        name = endpoint.name
        device = endpoint.deviceID
        domain = endpoint.domain.id
    }
}

/// Ends the process at once with `failure`'s status, its message on stderr and, with
/// `--format json`, its document on stdout: for a timeout, after which the devices must stay
/// open (closing waits for, or races with, the operations their drivers still hold).
func end(with failure: Failure, command: String) -> Never {
    printError("dmactl: \(failure.message)")
    if OutputRequest.current.json { JSONOutput.emitError(failure, command: command) }
    terminate(failure.status.rawValue)
}
