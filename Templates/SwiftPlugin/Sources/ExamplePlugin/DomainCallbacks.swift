import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C callbacks of the device's domain. Each checks its arguments (`dmahost/iovec.h`) and
/// finds the domain's owner in one call of the kit (``DomainOwnership``), moves the bytes, and
/// calls the completion before it returns 0: a callback may complete inside the submitting call
/// (`dmahost/driver.h`). A device that works asynchronously returns 0 at once and completes
/// later, from its own thread.
enum DomainCallbacks {
    /// The plugin's domains, each owned by its device's ``CopyUnit``.
    static let domains = DomainOwnership<CopyUnit>()

    /// The callbacks every domain of the plugin gets.
    static let all = DomainCallbackSet(pull: pull, push: push, memzero: memzero)

    /// pull: the source entries are in our domain (host memory), the destination in system memory.
    static let pull: spdk_memory_domain_pull_data_cb = { domain, _, source, sourceCount, destination, destinationCount, completion, argument in
        copy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
             destinationCount: destinationCount, completion: completion, argument: argument)
    }

    /// push: the source entries are in system memory, the destination in our domain.
    static let push: spdk_memory_domain_push_data_cb = { domain, _, destination, destinationCount, source, sourceCount, completion, argument in
        copy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
             destinationCount: destinationCount, completion: completion, argument: argument)
    }

    /// The body of pull and push, with the roles of the lists resolved: checks, copies, completes.
    private static func copy(on domain: OpaquePointer?, source: UnsafePointer<iovec>?, sourceCount: UInt32,
                             destination: UnsafePointer<iovec>?, destinationCount: UInt32,
                             completion: spdk_memory_domain_data_cpl_cb?, argument: UnsafeMutableRawPointer?) -> Int32 {
        domains.startCopy(on: domain, source: source, sourceCount: sourceCount, destination: destination,
                          destinationCount: destinationCount, completion: completion) { unit, copy in
            unit.move(copy)
            copy.completion(argument, 0)
            return 0
        }
    }

    /// memzero on our buffers.
    static let memzero: spdk_memory_domain_memzero_cb = { domain, _, buffers, count, completion, argument in
        domains.startMemzero(on: domain, buffers: buffers, count: count, completion: completion) { unit, fill in
            unit.zero(fill)
            fill.completion(argument, 0)
            return 0
        }
    }
}
