import CDMAHostABI
@_spi(CABI) import DMAHost
import DMASync
#if canImport(Glibc)
import Glibc
#endif

/// A minimal host table (`struct dmahost_host_api`) backed by the DMAHost core linked into the
/// test binary: what the driver host's loader gives a plugin, without the loader. Domains the
/// plugin creates land in the core's one registry, where `MemoryDomain` sees them.
enum TestHost {
    /// Messages the plugin logged, for assertions. Locked with DMASync's pthread lock, which
    /// ThreadSanitizer sees (the engines of several devices log from their own threads).
    static let messages = Locked<[String]>([])

    /// The table; allocated once, never freed (as the real host's).
    nonisolated(unsafe) static let table: UnsafeMutablePointer<dmahost_host_api> = {
        // nonisolated(unsafe): immutable after this initializer, which Swift runs once.
        let table = UnsafeMutablePointer<dmahost_host_api>.allocate(capacity: 1)
        table.initialize(to: dmahost_host_api())
        table.pointee.size = MemoryLayout<dmahost_host_api>.size
        table.pointee.abi_major = UInt32(DMAHOST_DRIVER_ABI_MAJOR)
        table.pointee.abi_minor = UInt32(DMAHOST_DRIVER_ABI_MINOR)
        table.pointee.log = { _, level, message in
            guard let message else { return }
            let text = String(cString: message)
            TestHost.messages.withLock { $0.append(text) }
            print("[plugin log \(level)] \(text)")
        }
        table.pointee.domain_create = { _, _, domain, type, context, id in spdk_memory_domain_create(domain, type, context, id) }
        table.pointee.domain_destroy = { _, domain in spdk_memory_domain_destroy(domain) }
        table.pointee.spdk_memory_domain_set_translation = spdk_memory_domain_set_translation
        table.pointee.spdk_memory_domain_set_invalidate = spdk_memory_domain_set_invalidate
        table.pointee.spdk_memory_domain_set_pull = spdk_memory_domain_set_pull
        table.pointee.spdk_memory_domain_set_push = spdk_memory_domain_set_push
        table.pointee.spdk_memory_domain_set_data_transfer = spdk_memory_domain_set_data_transfer
        table.pointee.spdk_memory_domain_set_memzero = spdk_memory_domain_set_memzero
        table.pointee.spdk_memory_domain_get_context = spdk_memory_domain_get_context
        table.pointee.spdk_memory_domain_get_user_context = spdk_memory_domain_get_user_context
        table.pointee.spdk_memory_domain_get_dma_device_type = spdk_memory_domain_get_dma_device_type
        table.pointee.spdk_memory_domain_get_dma_device_id = spdk_memory_domain_get_dma_device_id
        table.pointee.spdk_memory_domain_get_first = spdk_memory_domain_get_first
        table.pointee.spdk_memory_domain_get_next = spdk_memory_domain_get_next
        table.pointee.spdk_memory_domain_get_system_domain = spdk_memory_domain_get_system_domain
        table.pointee.spdk_memory_domain_pull_data = spdk_memory_domain_pull_data
        table.pointee.spdk_memory_domain_push_data = spdk_memory_domain_push_data
        table.pointee.spdk_memory_domain_transfer_data = spdk_memory_domain_transfer_data
        table.pointee.spdk_memory_domain_translate_data = spdk_memory_domain_translate_data
        table.pointee.spdk_memory_domain_invalidate_data = spdk_memory_domain_invalidate_data
        table.pointee.spdk_memory_domain_memzero = spdk_memory_domain_memzero
        table.pointee.domains_destroyed = dmahostDomainsDestroyed
        return table
    }()

    /// The plugin's view of the table.
    static func api() throws -> HostAPI { try HostAPI(UnsafePointer(table)) }

    /// Messages logged so far.
    static var logged: [String] { messages.withLock { $0 } }
}
