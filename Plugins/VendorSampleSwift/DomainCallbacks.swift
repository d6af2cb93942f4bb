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
/// Each one first checks its arguments against the contract of `dmahost/iovec.h`
/// (``IOVecContract``) and returns the errno it gives; the engine then takes only checked
/// operations, and moves exactly the bytes they describe.
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
        do throws(IOVecError) {
            let copy = try IOVecContract.checkCopy(completion: completion, source: source, sourceCount: sourceCount,
                                                   destination: destination, destinationCount: destinationCount)
            guard let engine = engine(of: domain) else { return -ENODEV }
            return engine.submit(copy, argument: argument)
        } catch {
            return error.negativeErrno
        }
    }

    /// push: the destination domain is ours.
    static let push: spdk_memory_domain_push_data_cb = { domain, _, destination, destinationCount, source, sourceCount, completion, argument in
        do throws(IOVecError) {
            let copy = try IOVecContract.checkCopy(completion: completion, source: source, sourceCount: sourceCount,
                                                   destination: destination, destinationCount: destinationCount)
            guard let engine = engine(of: domain) else { return -ENODEV }
            return engine.submit(copy, argument: argument)
        } catch {
            return error.negativeErrno
        }
    }

    /// memzero on our buffers.
    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, buffers, count, completion, argument in
        do throws(IOVecError) {
            let fill = try IOVecContract.checkMemzero(completion: completion, buffers: buffers, count: count)
            guard let engine = engine(of: domain) else { return -ENODEV }
            return engine.submit(fill, argument: argument)
        } catch {
            return error.negativeErrno
        }
    }

    /// translate: into the system domain (or this domain) our buffers are themselves.
    static let translate: spdk_memory_domain_translate_memory_cb = { source, _, destination, _, address, length, result in
        let checked: CheckedTranslation
        do throws(IOVecError) {
            checked = try IOVecContract.checkTranslate(address: address, length: length, result: result)
        } catch {
            return error.negativeErrno
        }
        guard let host else { return -ENODEV }
        guard destination == host.spdk_memory_domain_get_system_domain?() || destination == source else { return -ENOTSUP }
        checked.result.pointee.iov_count = 1
        checked.result.pointee.iov = iovec(iov_base: checked.address, iov_len: checked.length)
        checked.result.pointee.iovs = nil
        checked.result.pointee.dst_domain = destination
        return 0
    }

    /// transfer: the destination is ours; the source may be any domain whose buffers translate
    /// into host memory (the system domain's and ours are host memory already).
    static let transfer: spdk_memory_domain_transfer_data_cb = { destinationDomain, _, destination, destinationCount,
                                                                 sourceDomain, sourceContext, source, sourceCount, _, completion, argument in
        let copy: CheckedCopy
        do throws(IOVecError) {
            copy = try IOVecContract.checkCopy(completion: completion, source: source, sourceCount: sourceCount,
                                               destination: destination, destinationCount: destinationCount)
        } catch {
            return error.negativeErrno
        }
        guard let engine = engine(of: destinationDomain), let host else { return -ENODEV }
        guard let sourceDomain else { return -EINVAL }
        let system = host.spdk_memory_domain_get_system_domain?()
        if sourceDomain == system || isOurs(sourceDomain, host) {
            return engine.submit(copy, argument: argument)
        }
        guard let translateData = host.spdk_memory_domain_translate_data else { return -ENOTSUP }
        var translated: [iovec] = []
        for entry in copy.sourceEntries where entry.iov_len > 0 {
            var result = spdk_memory_domain_translation_result()
            result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
            let rc = translateData(sourceDomain, sourceContext, system, nil, entry.iov_base, entry.iov_len, &result)
            guard rc == 0 else { return rc }
            if result.iov_count == 1 {
                translated.append(result.iov)
            } else if let pieces = result.iovs, result.iov_count > 1 {
                translated += UnsafeBufferPointer(start: pieces, count: Int(result.iov_count))
            } else {
                return -EINVAL
            }
        }
        return translated.withUnsafeBufferPointer { pieces in
            do throws(IOVecError) {
                // What is read must pass the same checks, and hold the bytes src_iov describes.
                let translatedCopy = try IOVecContract.checkCopy(
                    completion: copy.completion, source: pieces.baseAddress, sourceCount: UInt32(pieces.count),
                    destination: copy.destination, destinationCount: copy.destinationCount)
                return engine.submit(translatedCopy, argument: argument)
            } catch {
                return error.negativeErrno
            }
        }
    }
}
