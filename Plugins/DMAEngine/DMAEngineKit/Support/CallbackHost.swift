import DMASync
import CDMAHostABI
import DMADriverKit
import DMABuf

/// The host table the C domain callbacks use. A `@convention(c)` callback receives only the
/// domain pointer; it reads the domain's user context through the host that created it. The
/// driver installs its host here when it is created (one host per loaded plugin).
enum CallbackHost {
    private static let installed = Locked<HostAPI?>(nil)

    /// Makes `host` the table the callbacks use.
    static func install(_ host: HostAPI) {
        installed.withLock { $0 = host }
    }

    /// The installed host, if any.
    static var current: HostAPI? { installed.withLock { $0 } }

    /// A domain's user context and its size (`spdk_memory_domain_get_user_context`).
    static func userContext(of domain: OpaquePointer?) -> UnsafeRawBufferPointer? {
        guard let domain, let host = current, let get = host.table.pointee.spdk_memory_domain_get_user_context else { return nil }
        var size = 0
        guard let raw = get(domain, &size) else { return nil }
        return UnsafeRawBufferPointer(start: raw, count: size)
    }
}

/// A completion callback and its argument, to be invoked exactly once.
struct Completion: @unchecked Sendable {
    // @unchecked Sendable: the C caller hands `argument` to us for exactly one invocation of
    // `callback`, on a thread of our choosing (driver.h); we never touch what it points to.
    let callback: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void
    let argument: UnsafeMutableRawPointer?

    /// Invokes the callback with `rc` (0 or a negated errno).
    func callAsFunction(_ rc: Int32) { callback(argument, rc) }
}
