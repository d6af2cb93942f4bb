import DMASync
import DMADriverKit

/// How a domain callback finds the engine behind a domain.
///
/// The host copies a domain's user context, and for RDMA domains that context must be SPDK's
/// `struct spdk_memory_domain_rdma_ctx { size, ibv_pd }` — there is no room for a pointer of
/// ours. So the plugin keeps its own table from domain pointer (`struct spdk_memory_domain *`,
/// stable for the domain's life) to the device binding. Open adds the device's two domains
/// before their callbacks are set; close removes them before it drains and destroys them, so
/// a callback on a closing device finds nothing and returns -ENODEV. A lookup returns a strong
/// reference, so the engine outlives any callback that is running on it.
enum DomainTable {
    /// What a domain belongs to.
    struct Binding: Sendable {
        /// The device's engine.
        let engine: RDMAEngine
        /// The host table, to call other domains (e.g. a dma-buf domain's translate).
        let host: HostAPI
        /// Both domains of the device (its own id and SPDK_RDMA_DMA_DEVICE).
        let domains: [UInt]
    }

    private static let table = Locked<[UInt: Binding]>([:])

    /// The binding of `domain`, or nil when it is not an open domain of this plugin.
    static func lookup(_ domain: OpaquePointer?) -> Binding? {
        guard let domain else { return nil }
        let key = UInt(bitPattern: domain)
        return table.withLock { $0[key] }
    }

    /// Adds every domain of a binding.
    static func add(_ binding: Binding) {
        table.withLock { table in
            for domain in binding.domains { table[domain] = binding }
        }
    }

    /// Removes domains.
    static func remove(_ domains: [UInt]) {
        table.withLock { table in
            for domain in domains { table[domain] = nil }
        }
    }
}
