import CDMAHostABI
import CPUCopyEngine
import DMADriverKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The host table this plugin was loaded with, for the domain callbacks (which receive only a
/// domain pointer and must find its engine through the host's user-context accessor).
enum PluginHost {
    /// The address of the host table (host-owned, valid for the life of the process).
    private static let table = Atomic<UInt>(0)

    /// Remembers the first host table the plugin is given (a process may create several
    /// hosts; every host table carries the same `spdk_memory_domain_*` functions and lives as
    /// long as the process).
    static func install(_ host: HostAPI) {
        _ = table.compareExchange(expected: 0, desired: UInt(bitPattern: host.table), ordering: .acquiringAndReleasing)
    }

    /// The host table.
    @inline(__always)
    static var api: UnsafePointer<dmahost_host_api>? {
        UnsafePointer(bitPattern: table.load(ordering: .acquiring))
    }

    /// The CPU user context of `domain`, or nil when `domain` is not a CPU accel domain.
    @inline(__always)
    static func cpuContext(of domain: OpaquePointer?) -> UnsafePointer<dmahost_cpu_domain_ctx>? {
        guard let domain, let get = api?.pointee.spdk_memory_domain_get_user_context else { return nil }
        var size = 0
        guard let raw = get(domain, &size), size >= MemoryLayout<dmahost_cpu_domain_ctx>.size else { return nil }
        let context = UnsafePointer(raw.assumingMemoryBound(to: dmahost_cpu_domain_ctx.self))
        guard context.pointee.magic == DMAHOST_CPU_DOMAIN_MAGIC, context.pointee.engine != nil else { return nil }
        return context
    }

    /// Runs `body` with the engine of a CPU accel domain, without reference counting traffic.
    /// - Returns: `body`'s result, or -ENODEV when `domain` is not an open CPU accel domain.
    @inline(__always)
    static func withEngine(of domain: OpaquePointer?, _ body: (CopyEngine) -> Int32) -> Int32 {
        guard let engine = cpuContext(of: domain)?.pointee.engine else { return -ENODEV }
        return Unmanaged<CopyEngine>.fromOpaque(engine)._withUnsafeGuaranteedRef(body)
    }

    /// True when addresses of `domain` are this process's virtual addresses: the system domain
    /// or a CPU accel domain.
    static func sharesVirtualAddresses(_ domain: OpaquePointer?) -> Bool {
        guard let domain else { return false }
        if let system = api?.pointee.spdk_memory_domain_get_system_domain?(), system == domain { return true }
        return cpuContext(of: domain) != nil
    }
}
