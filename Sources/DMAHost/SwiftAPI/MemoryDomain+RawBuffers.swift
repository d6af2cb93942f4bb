import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The data operations on raw byte buffers: the same calls as the `iovec` forms (the host
/// builds the lists), for one buffer per side or a list of them (scatter-gather). Sources are
/// `UnsafeRawBufferPointer` (only read), destinations `UnsafeMutableRawBufferPointer`; write
/// `UnsafeRawBufferPointer(buffer)` to pass a mutable buffer as a source. For pull, the source
/// buffers are addresses in this domain; for push, the destination buffers are.
///
/// The buffers must stay valid until the call returns; after a timeout, until the device is
/// closed (the host then keeps the lists it built). Errors are those of the `iovec` forms: a
/// refusal under `dmahost/iovec.h` names the argument and the rule, e.g. "destination iovec 1:
/// length 0 …" or "source and destination totals differ: 4096 vs 8192 bytes".
extension MemoryDomain {
    /// Copies `source` (in this domain) into local memory `destination`
    /// (`spdk_memory_domain_pull_data`).
    public func pull(from source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                     context: UnsafeMutableRawPointer? = nil, timeout: Duration? = nil) async throws(DMAError) {
        try await pull(from: [source], into: [destination], context: context, timeout: timeout)
    }

    /// Copies the `sources` (in this domain, in order) into local memory, filling the
    /// `destinations` in order (`spdk_memory_domain_pull_data`). Both lists must hold the same
    /// number of bytes.
    public func pull(from sources: [UnsafeRawBufferPointer], into destinations: [UnsafeMutableRawBufferPointer],
                     context: UnsafeMutableRawPointer? = nil, timeout: Duration? = nil) async throws(DMAError) {
        let lists = IOVecLists(sources: sources, destinations: destinations)
        try await lists.run { () async throws(DMAError) in
            try await pull(from: lists.source, into: lists.destination, context: context, timeout: timeout)
        }
    }

    /// Copies local memory `source` into `destination` (in this domain)
    /// (`spdk_memory_domain_push_data`).
    public func push(into destination: UnsafeMutableRawBufferPointer, from source: UnsafeRawBufferPointer,
                     context: UnsafeMutableRawPointer? = nil, timeout: Duration? = nil) async throws(DMAError) {
        try await push(into: [destination], from: [source], context: context, timeout: timeout)
    }

    /// Copies the local `sources` (in order) into the `destinations` of this domain (in order)
    /// (`spdk_memory_domain_push_data`). Both lists must hold the same number of bytes.
    public func push(into destinations: [UnsafeMutableRawBufferPointer], from sources: [UnsafeRawBufferPointer],
                     context: UnsafeMutableRawPointer? = nil, timeout: Duration? = nil) async throws(DMAError) {
        let lists = IOVecLists(sources: sources, destinations: destinations)
        try await lists.run { () async throws(DMAError) in
            try await push(into: lists.destination, from: lists.source, context: context, timeout: timeout)
        }
    }

    /// Moves `source` (in `sourceDomain`) into `destination` (in this domain)
    /// (`spdk_memory_domain_transfer_data`).
    public func transfer(
        into destination: UnsafeMutableRawBufferPointer, from sourceDomain: MemoryDomain, _ source: UnsafeRawBufferPointer,
        translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>? = nil,
        destinationContext: UnsafeMutableRawPointer? = nil, sourceContext: UnsafeMutableRawPointer? = nil,
        timeout: Duration? = nil
    ) async throws(DMAError) {
        try await transfer(into: [destination], from: sourceDomain, [source], translation: translation,
                           destinationContext: destinationContext, sourceContext: sourceContext, timeout: timeout)
    }

    /// Moves the `sources` (in `sourceDomain`, in order) into the `destinations` of this domain
    /// (in order) (`spdk_memory_domain_transfer_data`). Both lists must hold the same number of bytes.
    public func transfer(
        into destinations: [UnsafeMutableRawBufferPointer], from sourceDomain: MemoryDomain, _ sources: [UnsafeRawBufferPointer],
        translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>? = nil,
        destinationContext: UnsafeMutableRawPointer? = nil, sourceContext: UnsafeMutableRawPointer? = nil,
        timeout: Duration? = nil
    ) async throws(DMAError) {
        let lists = IOVecLists(sources: sources, destinations: destinations)
        try await lists.run { () async throws(DMAError) in
            try await transfer(into: lists.destination, from: sourceDomain, lists.source, translation: translation,
                               destinationContext: destinationContext, sourceContext: sourceContext, timeout: timeout)
        }
    }

    /// Fills `buffer` (in this domain) with zeroes (`spdk_memory_domain_memzero`).
    public func memzero(_ buffer: UnsafeMutableRawBufferPointer, context: UnsafeMutableRawPointer? = nil,
                        timeout: Duration? = nil) async throws(DMAError) {
        try await memzero([buffer], context: context, timeout: timeout)
    }

    /// Fills the `buffers` (in this domain) with zeroes (`spdk_memory_domain_memzero`).
    public func memzero(_ buffers: [UnsafeMutableRawBufferPointer], context: UnsafeMutableRawPointer? = nil,
                        timeout: Duration? = nil) async throws(DMAError) {
        let lists = IOVecLists(sources: [], destinations: buffers)
        try await lists.run { () async throws(DMAError) in
            try await memzero(lists.destination, context: context, timeout: timeout)
        }
    }
}

/// The iovec lists the raw-buffer operations build: one allocation holding the source entries,
/// then the destination entries. Freed when the operation ends, except after a timeout: the
/// device may still read them, so they are kept for the rest of the process
/// (``AbandonedMemory``).
final class IOVecLists {
    private let storage: UnsafeMutableBufferPointer<iovec>
    private let sourceCount: Int

    /// Describes each buffer as one entry, in order.
    init(sources: [UnsafeRawBufferPointer], destinations: [UnsafeMutableRawBufferPointer]) {
        sourceCount = sources.count
        storage = .allocate(capacity: sources.count + destinations.count)
        for (index, buffer) in sources.enumerated() {
            storage[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: buffer.baseAddress), iov_len: buffer.count)
        }
        for (index, buffer) in destinations.enumerated() {
            storage[sourceCount + index] = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        }
    }

    deinit { storage.deallocate() }

    /// The source entries.
    var source: UnsafeMutableBufferPointer<iovec> { UnsafeMutableBufferPointer(rebasing: storage[..<sourceCount]) }
    /// The destination entries.
    var destination: UnsafeMutableBufferPointer<iovec> { UnsafeMutableBufferPointer(rebasing: storage[sourceCount...]) }

    /// Runs `operation` over the lists; after a timeout, keeps them (and so this object) alive.
    func run(_ operation: () async throws(DMAError) -> Void) async throws(DMAError) {
        do throws(DMAError) {
            try await operation()
        } catch {
            if error.errno == ETIMEDOUT { AbandonedMemory.keep(self) }
            throw error
        }
    }
}
