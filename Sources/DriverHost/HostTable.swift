import CDMAHostABI
@_spi(CABI) import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Builds the `struct dmahost_host_api` given to one plugin.
///
/// Each plugin gets its own table whose `host_ctx` is its ``PluginContext``; the
/// `spdk_memory_domain_*` members are the core's exports (one registry for the process),
/// except that the callback setters go through ``CallbackGuard`` (a plugin sets callbacks only
/// on its own domains) and `domain_create`/`domain_destroy` through the context's ownership
/// and namespace checks.
/// The table is allocated once and never freed: plugins may keep it for the life of the process.
enum HostTable {
    /// Allocates and fills a table for `context`.
    static func make(for context: PluginContext) -> UnsafePointer<dmahost_host_api> {
        let table = UnsafeMutablePointer<dmahost_host_api>.allocate(capacity: 1)
        var api = dmahost_host_api()
        api.size = MemoryLayout<dmahost_host_api>.size
        api.abi_major = UInt32(DMAHOST_DRIVER_ABI_MAJOR)
        api.abi_minor = UInt32(DMAHOST_DRIVER_ABI_MINOR)
        api.host_ctx = context.retainedForever()
        api.log = { hostContext, level, message in
            PluginContext.from(hostContext)?.log(level: level, message: message)
        }
        api.domain_create = { hostContext, device, out, type, ctx, id in
            guard let context = PluginContext.from(hostContext) else { return -EINVAL }
            guard let out else { return -EINVAL }
            var handle: OpaquePointer?
            let rc = context.createDomain(device: device, out: &handle, type: type, context: ctx, id: id)
            if rc == 0 { out.pointee = tp(handle) }
            return rc
        }
        api.domain_destroy = { hostContext, domain in
            PluginContext.from(hostContext)?.destroyDomain(op(domain))
        }
        // The core's exports take OpaquePointer; op/tp convert the table's domain pointers.
        // The setters act only on the calling plugin's own domains (CallbackGuard).
        api.spdk_memory_domain_set_translation = { domain, callback in
            CallbackGuard.set(op(domain), "spdk_memory_domain_set_translation") { spdk_memory_domain_set_translation_export($0, callback) }
        }
        api.spdk_memory_domain_set_invalidate = { domain, callback in
            CallbackGuard.set(op(domain), "spdk_memory_domain_set_invalidate") { spdk_memory_domain_set_invalidate_export($0, callback) }
        }
        api.spdk_memory_domain_set_pull = { domain, callback in
            CallbackGuard.set(op(domain), "spdk_memory_domain_set_pull") { spdk_memory_domain_set_pull_export($0, callback) }
        }
        api.spdk_memory_domain_set_push = { domain, callback in
            CallbackGuard.set(op(domain), "spdk_memory_domain_set_push") { spdk_memory_domain_set_push_export($0, callback) }
        }
        api.spdk_memory_domain_set_data_transfer = { domain, callback in
            CallbackGuard.set(op(domain), "spdk_memory_domain_set_data_transfer") { spdk_memory_domain_set_data_transfer_export($0, callback) }
        }
        api.spdk_memory_domain_set_memzero = { domain, callback in
            CallbackGuard.set(op(domain), "spdk_memory_domain_set_memzero") { spdk_memory_domain_set_memzero_export($0, callback) }
        }
        api.spdk_memory_domain_get_context = { spdk_memory_domain_get_context_export(op($0)) }
        api.spdk_memory_domain_get_user_context = { spdk_memory_domain_get_user_context_export(op($0), $1) }
        api.spdk_memory_domain_get_dma_device_type = { spdk_memory_domain_get_dma_device_type_export(op($0)) }
        api.spdk_memory_domain_get_dma_device_id = { spdk_memory_domain_get_dma_device_id_export(op($0)) }
        api.spdk_memory_domain_get_first = { tp(spdk_memory_domain_get_first_export($0)) }
        api.spdk_memory_domain_get_next = { tp(spdk_memory_domain_get_next_export(op($0), $1)) }
        api.spdk_memory_domain_get_system_domain = { tp(spdk_memory_domain_get_system_domain_export()) }
        api.spdk_memory_domain_pull_data = { spdk_memory_domain_pull_data_export(op($0), $1, $2, $3, $4, $5, $6, $7) }
        api.spdk_memory_domain_push_data = { spdk_memory_domain_push_data_export(op($0), $1, $2, $3, $4, $5, $6, $7) }
        api.spdk_memory_domain_transfer_data = {
            spdk_memory_domain_transfer_data_export(op($0), $1, $2, $3, op($4), $5, $6, $7, $8, $9, $10)
        }
        api.spdk_memory_domain_translate_data = { spdk_memory_domain_translate_data_export(op($0), $1, op($2), $3, $4, $5, $6) }
        api.spdk_memory_domain_invalidate_data = { spdk_memory_domain_invalidate_data_export(op($0), $1, $2, $3) }
        api.spdk_memory_domain_memzero = { spdk_memory_domain_memzero_export(op($0), $1, $2, $3, $4, $5) }
        api.domains_destroyed = dmahostDomainsDestroyed
        table.initialize(to: api)
        return UnsafePointer(table)
    }
}

// Whether the table's domain parameters import as typed pointers or as OpaquePointer depends
// on whether the importer has seen the core's private record layout; these overloads accept both.

/// A domain record pointer as the core's exports take it.
private func op<Record>(_ record: UnsafeMutablePointer<Record>?) -> OpaquePointer? { record.map(OpaquePointer.init) }
/// Identity, for when the table's parameters import as OpaquePointer.
private func op(_ handle: OpaquePointer?) -> OpaquePointer? { handle }

/// A core handle as the host table returns it.
private func tp<Record>(_ handle: OpaquePointer?) -> UnsafeMutablePointer<Record>? { handle.map { UnsafeMutablePointer<Record>($0) } }
/// Identity, for when the table's results import as OpaquePointer.
private func tp(_ handle: OpaquePointer?) -> OpaquePointer? { handle }
