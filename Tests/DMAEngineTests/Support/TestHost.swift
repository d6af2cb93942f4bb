import DMASync
import CDMAHostABI
import DMADriverKit
@_spi(CABI) import DMAHost
import DMABuf
#if canImport(Glibc)
import Glibc
#endif

/// A minimal host table over this test binary's own DMAHost registry, so the backend can be
/// driven without the loader (the loader has its own tests): `domain_create` creates a domain in
/// the registry (recording the device it belongs to), `log` collects messages.
enum TestHost {
    /// Messages the backend logged.
    static let messages = Locked<[String]>([])
    /// Device id of each created domain.
    static let owners = Locked<[UInt: String]>([:])

    /// The table (allocated once, never freed: like the real host's).
    // nonisolated(unsafe): written once by the lazy initialiser, immutable afterwards.
    nonisolated(unsafe) static let table: UnsafePointer<dmahost_host_api> = {
        let table = UnsafeMutablePointer<dmahost_host_api>.allocate(capacity: 1)
        var t = dmahost_host_api()
        t.size = MemoryLayout<dmahost_host_api>.size
        t.abi_major = UInt32(DMAHOST_DRIVER_ABI_MAJOR)
        t.abi_minor = UInt32(DMAHOST_DRIVER_ABI_MINOR)
        t.host_ctx = nil
        t.log = { _, level, message in
            guard let message else { return }
            TestHost.messages.withLock { $0.append("[\(level)] \(String(cString: message))") }
        }
        t.domain_create = { _, device, domain, type, ctx, id in
            let rc = spdk_memory_domain_create(domain, type, ctx, id)
            if rc == 0, let created = domain?.pointee, let device {
                TestHost.owners.withLock { $0[UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(created)))] = String(cString: device) }
            }
            return rc
        }
        t.domain_destroy = { _, domain in spdk_memory_domain_destroy(domain) }
        t.spdk_memory_domain_set_translation = spdk_memory_domain_set_translation
        t.spdk_memory_domain_set_invalidate = spdk_memory_domain_set_invalidate
        t.spdk_memory_domain_set_pull = spdk_memory_domain_set_pull
        t.spdk_memory_domain_set_push = spdk_memory_domain_set_push
        t.spdk_memory_domain_set_data_transfer = spdk_memory_domain_set_data_transfer
        t.spdk_memory_domain_set_memzero = spdk_memory_domain_set_memzero
        t.spdk_memory_domain_get_context = spdk_memory_domain_get_context
        t.spdk_memory_domain_get_user_context = spdk_memory_domain_get_user_context
        t.spdk_memory_domain_get_dma_device_type = spdk_memory_domain_get_dma_device_type
        t.spdk_memory_domain_get_dma_device_id = spdk_memory_domain_get_dma_device_id
        t.spdk_memory_domain_get_first = spdk_memory_domain_get_first
        t.spdk_memory_domain_get_next = spdk_memory_domain_get_next
        t.spdk_memory_domain_get_system_domain = spdk_memory_domain_get_system_domain
        t.spdk_memory_domain_pull_data = spdk_memory_domain_pull_data
        t.spdk_memory_domain_push_data = spdk_memory_domain_push_data
        t.spdk_memory_domain_transfer_data = spdk_memory_domain_transfer_data
        t.spdk_memory_domain_translate_data = spdk_memory_domain_translate_data
        t.spdk_memory_domain_invalidate_data = spdk_memory_domain_invalidate_data
        t.spdk_memory_domain_memzero = spdk_memory_domain_memzero
        t.domains_destroyed = dmahostDomainsDestroyed
        table.initialize(to: t)
        return UnsafePointer(table)
    }()

    /// The table as the kit sees it.
    static func api() throws -> HostAPI { try HostAPI(table) }
}
