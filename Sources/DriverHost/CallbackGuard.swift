@_spi(CABI) import DMAHost
import Logging

/// The ownership check in front of the host table's six callback setters
/// (`spdk_memory_domain_set_*` of `struct dmahost_host_api`).
///
/// The setters take no `host_ctx`, so the caller is identified as the plugin the host is
/// calling on this thread (``PluginContext/current``: set during probe, open, close, diagnose
/// and fini). A setter acts only when that plugin created the domain through its own table;
/// otherwise the call is refused (EPERM) and logged, and the domain keeps its callbacks.
/// Applications are not affected: `spdk_memory_domain_set_*` of `spdk/dma.h` have no such check.
enum CallbackGuard {
    /// Logs refusals when no plugin is being called (the caller is then unknown).
    static let logger = Logger(label: "dmahost.driverhost")

    /// Runs `set` on `domain` when the calling plugin owns it; logs and ignores the call otherwise.
    static func set(_ domain: OpaquePointer?, _ setter: String, _ set: (OpaquePointer?) -> Void) {
        guard let domain else { return }
        guard let caller = PluginContext.current else {
            let label = DomainLabel.describe(domain)
            logger.warning("refused (EPERM): \(setter) on \(label) was called through a plugin's host table outside the host's calls into that plugin; a plugin sets its domains' callbacks in open, on the thread the host calls it on")
            return
        }
        guard caller.owns(domain) else {
            caller.refusePermission("\(setter) on \(DomainLabel.describe(domain)), which this plugin did not create; "
                                    + "a plugin sets callbacks only on the domains it created through its host table")
            return
        }
        set(domain)
    }
}

/// How log lines name a domain handle a plugin passed.
enum DomainLabel {
    /// "domain 'cpu:0'", "domain 0x… (no id)", "the system domain", or "0x… (not a registered domain)".
    static func describe(_ handle: OpaquePointer) -> String {
        let domain = MemoryDomain(handle: handle)
        if domain.isSystem { return "the system domain" }
        // Read the id only of a registered domain (a destroyed one's memory is quarantined,
        // never read here after that).
        guard domain.registrationSequence != nil else { return "\(handle) (not a registered domain)" }
        return domain.id.map { "domain '\($0)'" } ?? "domain \(handle) (no id)"
    }
}
