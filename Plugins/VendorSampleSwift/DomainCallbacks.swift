import CDMAHostABI
import DMADriverKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C callbacks of the sample's domains.
///
/// A callback receives only the domain; it finds the domain's ``CopyEngine`` through the
/// domain's user context, read with a host-table function. Every host table holds the same
/// `spdk_memory_domain_*` functions (only `host_ctx` differs), so the first table seen serves
/// all driver instances.
enum DomainCallbacks {
    /// Address of the first host table seen (0 until then). Host tables live for the process.
    private static let hostTableAddress = Atomic<UInt>(0)

    /// Remembers the first host table (later ones have the same functions).
    static func register(_ host: HostAPI) {
        _ = hostTableAddress.compareExchange(expected: 0, desired: UInt(bitPattern: host.table), ordering: .acquiringAndReleasing)
    }

    private static var host: dmahost_host_api? {
        UnsafePointer<dmahost_host_api>(bitPattern: hostTableAddress.load(ordering: .acquiring))?.pointee
    }

    /// The engine whose address is the user context of `domain`.
    private static func engine(of domain: OpaquePointer?) -> CopyEngine? {
        guard let domain, let get = host?.spdk_memory_domain_get_user_context else { return nil }
        var size = 0
        guard let context = get(domain, &size), size == MemoryLayout<UInt>.size else { return nil }
        let address = context.loadUnaligned(as: UInt.self)
        guard let pointer = UnsafeRawPointer(bitPattern: address) else { return nil }
        return Unmanaged<CopyEngine>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// True for a domain of this driver (any instance): vendor type 1000 and a "vendor-swift:" id.
    private static func isOurs(_ domain: OpaquePointer, _ host: dmahost_host_api) -> Bool {
        guard let type = host.spdk_memory_domain_get_dma_device_type?(domain),
              Int32(bitPattern: type.rawValue) == VendorSwiftDriver.deviceType.rawValue,
              let id = host.spdk_memory_domain_get_dma_device_id?(domain) else { return false }
        return String(cString: id).hasPrefix("vendor-swift:")
    }

    /// pull: the source domain is ours, its buffers are host memory.
    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, source, sourceCount, destination, destinationCount, completion, argument in
        guard let engine = engine(of: domain) else { return -ENODEV }
        return engine.submitCopy(destination: destination, destinationCount: destinationCount, source: source,
                                 sourceCount: sourceCount, completion: completion, argument: argument)
    }

    /// push: the destination domain is ours.
    static let push: spdk_memory_domain_push_data_cb = { domain, _, destination, destinationCount, source, sourceCount, completion, argument in
        guard let engine = engine(of: domain) else { return -ENODEV }
        return engine.submitCopy(destination: destination, destinationCount: destinationCount, source: source,
                                 sourceCount: sourceCount, completion: completion, argument: argument)
    }

    /// memzero on our buffers.
    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, buffers, count, completion, argument in
        guard let engine = engine(of: domain) else { return -ENODEV }
        return engine.submitZero(buffers, count: count, completion: completion, argument: argument)
    }

    /// translate: into the system domain (or this domain) our buffers are themselves.
    static let translate: spdk_memory_domain_translate_memory_cb = { source, _, destination, _, address, length, result in
        guard let host, let result, result.pointee.size >= MemoryLayout<spdk_memory_domain_translation_result>.size,
              address != nil || length == 0 else { return -EINVAL }
        guard destination == host.spdk_memory_domain_get_system_domain?() || destination == source else { return -ENOTSUP }
        result.pointee.iov_count = 1
        result.pointee.iov = iovec(iov_base: address, iov_len: length)
        result.pointee.iovs = nil
        result.pointee.dst_domain = destination
        return 0
    }

    /// transfer: the destination is ours; the source may be any domain whose buffers translate
    /// into host memory (the system domain's and ours are host memory already).
    static let transfer: spdk_memory_domain_transfer_data_cb = { destinationDomain, _, destination, destinationCount,
                                                                 sourceDomain, sourceContext, source, sourceCount, _, completion, argument in
        guard let engine = engine(of: destinationDomain), let host else { return -ENODEV }
        guard let sourceDomain, let source, sourceCount > 0 else { return -EINVAL }
        let system = host.spdk_memory_domain_get_system_domain?()
        if sourceDomain == system || isOurs(sourceDomain, host) {
            return engine.submitCopy(destination: destination, destinationCount: destinationCount, source: source,
                                     sourceCount: sourceCount, completion: completion, argument: argument)
        }
        guard let translateData = host.spdk_memory_domain_translate_data else { return -ENOTSUP }
        var translated: [iovec] = []
        for index in 0..<Int(sourceCount) {
            var result = spdk_memory_domain_translation_result()
            result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
            let rc = translateData(sourceDomain, sourceContext, system, nil, source[index].iov_base, source[index].iov_len, &result)
            guard rc == 0 else { return rc }
            if result.iov_count == 1 {
                translated.append(result.iov)
            } else if let pieces = result.iovs {
                translated += UnsafeBufferPointer(start: pieces, count: Int(result.iov_count))
            } else if result.iov_count > 1 {
                return -EINVAL
            }
        }
        return translated.withUnsafeMutableBufferPointer { pieces in
            engine.submitCopy(destination: destination, destinationCount: destinationCount, source: pieces.baseAddress,
                              sourceCount: UInt32(pieces.count), completion: completion, argument: argument)
        }
    }
}
