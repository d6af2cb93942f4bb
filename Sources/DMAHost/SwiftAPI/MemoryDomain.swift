import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A memory domain: an address space some DMA device can reach.
///
/// A value of this type is a handle, like the C `struct spdk_memory_domain *` it wraps
/// (``handle``): copying it does not copy the domain, and the domain lives until
/// ``destroy()`` is called. The same object is visible through the C ABI (`spdk/dma.h`).
public struct MemoryDomain: Hashable, @unchecked Sendable, CustomStringConvertible {
    // @unchecked Sendable: the handle is an address. The registry that owns the object is
    // locked, and a domain's fields are only written before it is published (creation) or
    // by the setters, whose contract (as in SPDK) is not to race with dispatch.

    /// The C handle (`struct spdk_memory_domain *`), valid until the domain is destroyed.
    public let handle: OpaquePointer

    /// Wraps a C handle obtained from `spdk/dma.h`.
    public init(handle: OpaquePointer) { self.handle = handle }

    var record: DomainRecord { DomainRecord(handle) }

    /// The system domain (plain host memory, type DMA, id "system").
    public static var system: MemoryDomain { MemoryDomain(handle: OpaquePointer(Registry.systemDomain)) }

    /// Creates a domain and appends it to the registry.
    /// - Parameters:
    ///   - type: The device type; stored as given.
    ///   - id: Optional device id; copied.
    ///   - userContext: Optional bytes copied as the user context (see ``userContext``).
    /// - Throws: ``DMAError/outOfMemory(_:)`` when the copies cannot be allocated.
    public static func create(type: DMADeviceType, id: String?, userContext: UnsafeRawBufferPointer? = nil) throws(DMAError) -> MemoryDomain {
        var context = spdk_memory_domain_ctx()
        context.size = MemoryLayout<spdk_memory_domain_ctx>.size
        context.user_ctx = userContext.flatMap { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        context.user_ctx_size = userContext?.count ?? 0
        let make = { (cId: UnsafePointer<CChar>?) -> Result<DomainRecord, DMAError> in
            withUnsafePointer(to: &context) { contextPointer in
                Result { () throws(DMAError) in
                    try DomainRecordStorage.make(type: type.rawValue, context: userContext == nil ? nil : contextPointer, id: cId)
                }
            }
        }
        let record = try (id.map { $0.withCString(make) } ?? make(nil)).get()
        do throws(DMAError) {
            try Registry.append(record)
        } catch {
            DomainRecordStorage.release(record)
            throw error
        }
        return MemoryDomain(handle: OpaquePointer(record))
    }

    /// Removes the domain from the registry and destroys it (`spdk_memory_domain_destroy`). The
    /// system domain is never destroyed; destroying a domain twice does nothing the second time.
    /// The caller guarantees that no operation on the domain is in flight. The memory is freed
    /// later: other holders of the handle may still read the domain for the next
    /// 1024 destroys in the process, as `spdk/dma.h` describes.
    public func destroy() {
        spdk_memory_domain_destroy_export(handle)
    }

    /// The device type given at creation.
    public var type: DMADeviceType { DMADeviceType(rawValue: record.pointee.type) }

    /// The device id given at creation, or nil.
    public var id: String? { record.pointee.id.map { String(cString: $0) } }

    /// The domain's own copy of the user context, or nil when it has none.
    public var userContext: UnsafeRawBufferPointer? {
        guard let user = record.pointee.user_ctx else { return nil }
        return UnsafeRawBufferPointer(start: user, count: record.pointee.user_ctx_size)
    }

    /// True for the system domain.
    public var isSystem: Bool { record == Registry.systemDomain }

    /// All registered domains in creation order, optionally only those whose id equals `id`.
    ///
    /// The list is taken in one pass under the registry lock, so it is safe to call while other
    /// threads create and destroy domains. A domain destroyed afterwards may still be listed:
    /// its handle then stays readable only for the destroy's quarantine (`spdk/dma.h`).
    public static func all(id: String? = nil) -> [MemoryDomain] {
        let records = id.map { $0.withCString { Registry.snapshot(id: $0) } } ?? Registry.snapshot(id: nil)
        return records.map { MemoryDomain(handle: OpaquePointer($0)) }
    }

    /// The first registered domain whose id equals `id`, or nil.
    public static func first(id: String) -> MemoryDomain? {
        id.withCString { Registry.first(id: $0) }.map { MemoryDomain(handle: OpaquePointer($0)) }
    }

    public var description: String {
        "MemoryDomain(\(id.map { "\"\($0)\"" } ?? "nil"), \(type))"
    }
}
