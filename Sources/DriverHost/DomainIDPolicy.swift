/// Which domain ids a plugin may create (`dmahost_host_api.domain_create`), and which id
/// prefixes it may declare (`dmahost_driver_ops.domain_id_prefixes`).
///
/// A domain id is a plugin's when it is NULL, or `<prefix>:<rest>` with a non-empty rest, the
/// prefix being the driver's name or one of the prefixes it declared. Never `system` (the
/// system domain's id). Ids in SPDK's namespace (starting with `SPDK_`) only as the table of
/// ``reserved`` ids lists them, for the backend that owns them: a vendor plugin cannot make
/// `spdk_memory_domain_get_first("SPDK_RDMA_DMA_DEVICE")` find its domain.
///
/// What each shipped backend creates, and why it passes:
///
/// | Driver | Domain ids | Rule |
/// | --- | --- | --- |
/// | `cpu` | `cpu:N` | its name |
/// | `rdma` | `rdma:<dev>`, `SPDK_RDMA_DMA_DEVICE` | its name; reserved for `rdma` |
/// | `dmaengine` | `dmabuf:<source>`, `dmaengine:wqX.Y` (DSA) | declared prefix `dmabuf`; its name |
/// | `vendor-swift`, `vendor-c` | `vendor-swift:N`, `vendor-c:N` | their names |
enum DomainIDPolicy {
    /// The ids SPDK reserves and the only driver that may create each.
    static let reserved: [String: String] = [
        "SPDK_RDMA_DMA_DEVICE": "rdma",
        "SPDK_ACCEL_DMA_DEVICE": "cpu",
    ]
    /// The prefix of SPDK's own id namespace: ids starting with it are refused unless reserved for the driver.
    static let spdkNamespace = "SPDK_"
    /// The system domain's id: no plugin may create it.
    static let systemID = "system"
    /// Most prefixes a driver may declare.
    static let maximumPrefixes = 16

    /// Why `driver` (which declared `prefixes`) may not create a domain with `id`; nil when it may.
    static func problem(id: String?, driver: String, prefixes: [String]) -> String? {
        guard let id else { return nil }
        if id == systemID {
            return "domain id 'system' is the system domain's; no plugin may create it"
        }
        if let owner = reserved[id] {
            return owner == driver ? nil
                : "domain id '\(id)' is reserved by SPDK for the '\(owner)' backend; use an id of the form '\(driver):<name>'"
        }
        if id.hasPrefix(spdkNamespace) {
            return "domain id '\(id)' is in SPDK's namespace (SPDK_…); only \(reservedList) are reserved, each for its backend; use '\(driver):<name>'"
        }
        let owned = ([driver] + prefixes).map { $0 + ":" }
        guard let prefix = owned.first(where: { id.hasPrefix($0) }), id.utf8.count > prefix.utf8.count else {
            let allowed = owned.map { "'\($0)<name>'" }.joined(separator: " or ")
            return "domain id '\(id)' is not in the driver's namespace; use \(allowed) (declare other prefixes in ops.domain_id_prefixes)"
        }
        return nil
    }

    /// Why `driver` may not declare `prefix`; nil when it may. Conflicts with other loaded
    /// drivers are checked by the loader.
    static func prefixProblem(_ prefix: String, driver: String) -> String? {
        if DriverTable.validateName(prefix) != nil {
            return "domain id prefix '\(prefix)' is invalid: use 1 to 64 characters among A-Z a-z 0-9 . _ -"
        }
        if prefix == systemID || prefix.hasPrefix(spdkNamespace) {
            return "domain id prefix '\(prefix)' is reserved ('system', and SPDK's namespace SPDK_…)"
        }
        if DriverTable.isBuiltIn(prefix) && prefix != driver {
            return "domain id prefix '\(prefix)' is the name of the built-in driver '\(prefix)'"
        }
        return nil
    }

    /// "SPDK_ACCEL_DMA_DEVICE (cpu), SPDK_RDMA_DMA_DEVICE (rdma)".
    private static var reservedList: String {
        reserved.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
    }
}
