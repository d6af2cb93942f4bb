import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Severity of a plugin log message (`enum dmahost_log_level`).
public enum DriverLogLevel: Int32, Sendable {
    case error = 0, warning = 1, info = 2, debug = 3
}

/// A Swift plugin's view of the host table (`struct dmahost_host_api`) it was given at entry.
///
/// Domains are handled as `OpaquePointer` (`struct spdk_memory_domain *`): the registry lives
/// in the host, never in the plugin. Every method calls one function of the host table.
public struct HostAPI: @unchecked Sendable {
    // @unchecked Sendable: the table is host-owned, immutable and valid for the life of the
    // process; its functions are thread-safe (they are the host's spdk_memory_domain_* ABI).

    /// The host table.
    public let table: UnsafePointer<dmahost_host_api>

    /// Wraps a host table after checking that it is an ABI this kit understands.
    /// - Throws: ``DMAError/notSupported(_:)`` when the host's major version differs or its
    ///   table is smaller than this kit needs.
    public init(_ table: UnsafePointer<dmahost_host_api>) throws(DMAError) {
        let host = table.pointee
        guard host.abi_major == UInt32(DMAHOST_DRIVER_ABI_MAJOR) else {
            throw .notSupported("host driver ABI \(host.abi_major).\(host.abi_minor) is not ABI \(DMAHOST_DRIVER_ABI_MAJOR).x; rebuild the plugin against this host")
        }
        guard host.size >= MemoryLayout<dmahost_host_api>.size else {
            throw .notSupported("host table is \(host.size) bytes, this plugin needs \(MemoryLayout<dmahost_host_api>.size); use a newer host")
        }
        self.table = table
    }

    /// Wraps a host table that ``init(_:)`` accepted before.
    @usableFromInline
    init(validated table: UnsafePointer<dmahost_host_api>) {
        self.table = table
    }

    /// Sends a message to the host's log.
    public func log(_ level: DriverLogLevel, _ message: String) {
        message.withCString { table.pointee.log?(table.pointee.host_ctx, level.rawValue, $0) }
    }

    /// Creates a domain that belongs to one of this plugin's devices.
    /// - Parameters:
    ///   - deviceID: The device (as reported by probe) the domain belongs to.
    ///   - type: Domain type.
    ///   - id: Domain id (often the device id, or `SPDK_RDMA_DMA_DEVICE`).
    ///   - userContext: Bytes the host copies as the domain's user context.
    /// - Returns: The new domain.
    public func createDomain(deviceID: String, type: DMADeviceType, id: String?,
                             userContext: UnsafeRawBufferPointer? = nil) throws(DMAError) -> OpaquePointer {
        guard let create = table.pointee.domain_create else { throw .notSupported("host table has no domain_create") }
        var context = spdk_memory_domain_ctx()
        context.size = MemoryLayout<spdk_memory_domain_ctx>.size
        context.user_ctx = userContext.flatMap { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        context.user_ctx_size = userContext?.count ?? 0
        var domain: OpaquePointer?
        let rc: Int32 = deviceID.withCString { device in
            withUnsafeMutablePointer(to: &context) { ctx in
                if let id {
                    return id.withCString { create(table.pointee.host_ctx, device, &domain, type.cValue, userContext == nil ? nil : ctx, $0) }
                }
                return create(table.pointee.host_ctx, device, &domain, type.cValue, userContext == nil ? nil : ctx, nil)
            }
        }
        guard rc == 0, let domain else { throw DMAError(errno: rc == 0 ? -EINVAL : rc, context: "create domain \(id ?? "(no id)") for device \(deviceID)") }
        return domain
    }

    /// Destroys a domain this plugin created.
    public func destroyDomain(_ domain: OpaquePointer) {
        table.pointee.domain_destroy?(table.pointee.host_ctx, domain)
    }

    /// The host's copy of a domain's user context.
    public func userContext(of domain: OpaquePointer) -> UnsafeMutableRawPointer? {
        var size = 0
        return table.pointee.spdk_memory_domain_get_user_context?(domain, &size)
    }

    /// The id of a domain, or nil.
    public func id(of domain: OpaquePointer) -> String? {
        table.pointee.spdk_memory_domain_get_dma_device_id?(domain).map { String(cString: $0) }
    }

    /// The type of a domain.
    public func type(of domain: OpaquePointer) -> DMADeviceType? {
        guard let get = table.pointee.spdk_memory_domain_get_dma_device_type else { return nil }
        return DMADeviceType(rawValue: Int32(bitPattern: get(domain).rawValue))
    }

    /// The host's system domain.
    public var systemDomain: OpaquePointer? { table.pointee.spdk_memory_domain_get_system_domain?() }

    /// Registers the callbacks of a domain; nil leaves a callback unset.
    public func setCallbacks(
        of domain: OpaquePointer,
        translate: spdk_memory_domain_translate_memory_cb? = nil,
        invalidate: spdk_memory_domain_invalidate_data_cb? = nil,
        pull: spdk_memory_domain_pull_data_cb? = nil,
        push: spdk_memory_domain_push_data_cb? = nil,
        transfer: spdk_memory_domain_transfer_data_cb? = nil,
        memzero: spdk_memory_domain_memzero_cb? = nil
    ) {
        let host = table.pointee
        host.spdk_memory_domain_set_translation?(domain, translate)
        host.spdk_memory_domain_set_invalidate?(domain, invalidate)
        host.spdk_memory_domain_set_pull?(domain, pull)
        host.spdk_memory_domain_set_push?(domain, push)
        host.spdk_memory_domain_set_data_transfer?(domain, transfer)
        host.spdk_memory_domain_set_memzero?(domain, memzero)
    }
}
