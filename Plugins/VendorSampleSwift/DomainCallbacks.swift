import CDMAHostABI
import DMADriverKit
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
/// A callback receives only the domain; ``domains`` finds the domain's ``CopyEngine`` (its
/// owner) without a lock, and gives nil (-ENODEV) for any other domain.
enum DomainCallbacks {
    /// The sample's domains, each owned by its device's engine.
    static let domains = DomainOwnership<CopyEngine>()

    /// All callbacks, as the driver registers them.
    static let all = DomainCallbackSet(translate: translate, pull: pull, push: push, transfer: transfer, memzero: memzero)

    /// pull: the source domain is ours, its buffers are host memory.
    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, source, sourceCount, destination, destinationCount, completion, argument in
        domains.startCopy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
                          destinationCount: destinationCount, completion: completion) { engine, copy in
            engine.submit(copy, argument: argument)
        }
    }

    /// push: the destination domain is ours.
    static let push: spdk_memory_domain_push_data_cb = { domain, _, destination, destinationCount, source, sourceCount, completion, argument in
        domains.startCopy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
                          destinationCount: destinationCount, completion: completion) { engine, copy in
            engine.submit(copy, argument: argument)
        }
    }

    /// memzero on our buffers.
    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, buffers, count, completion, argument in
        domains.startMemzero(on: domain, buffers: buffers, count: count, completion: completion) { engine, fill in
            engine.submit(fill, argument: argument)
        }
    }

    /// translate: into the system domain (or this domain) our buffers are themselves.
    static let translate: spdk_memory_domain_translate_memory_cb = { source, _, destination, _, address, length, result in
        domains.startTranslate(on: source, address: address, length: length, result: result) { _, checked in
            guard let host = domains.host, destination == host.systemDomain || destination == source else { return -ENOTSUP }
            checked.answer(for: destination)
            return 0
        }
    }

    /// transfer: the destination is ours; the source may be any domain whose buffers translate
    /// into host memory (the system domain's and ours are host memory already).
    static let transfer: spdk_memory_domain_transfer_data_cb = { destinationDomain, _, destination, destinationCount,
                                                                 sourceDomain, sourceContext, source, sourceCount, _, completion, argument in
        domains.startCopy(on: destinationDomain, source: source, sourceCount: sourceCount, destination: destination,
                          destinationCount: destinationCount, completion: completion) { engine, copy in
            transfer(copy, from: sourceDomain, context: sourceContext, to: engine, argument: argument)
        }
    }

    /// transfer into `engine`: a source in host memory is copied directly, any other is
    /// translated into the system domain first, segment by segment.
    private static func transfer(_ copy: CheckedCopy, from sourceDomain: OpaquePointer?, context sourceContext: UnsafeMutableRawPointer?,
                                 to engine: CopyEngine, argument: UnsafeMutableRawPointer?) -> Int32 {
        guard let sourceDomain else { return -EINVAL }
        guard let host = domains.host else { return -ENODEV }
        let system = host.systemDomain
        if sourceDomain == system || domains.owns(sourceDomain) {
            return engine.submit(copy, argument: argument)
        }
        guard let translateData = host.table.pointee.spdk_memory_domain_translate_data else { return -ENOTSUP }
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
