import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Asynchronous data operations. Each suspends until the domain's completion callback
/// fires and throws the mapped ``DMAError`` when the operation fails to start or completes
/// with an error. The iovec arrays and the buffers they describe must stay valid until the
/// call returns.
extension MemoryDomain {
    /// Copies data out of this domain into local memory (`spdk_memory_domain_pull_data`).
    public func pull(
        from source: UnsafeMutableBufferPointer<iovec>,
        into destination: UnsafeMutableBufferPointer<iovec>,
        context: UnsafeMutableRawPointer? = nil
    ) async throws(DMAError) {
        let record = handle
        try await awaitCompletion("pull from \(self)") { cb, arg in
            spdk_memory_domain_pull_data_export(record, context, source.baseAddress, UInt32(source.count),
                                                destination.baseAddress, UInt32(destination.count), cb, arg)
        }
    }

    /// Copies data from local memory into this domain (`spdk_memory_domain_push_data`).
    public func push(
        into destination: UnsafeMutableBufferPointer<iovec>,
        from source: UnsafeMutableBufferPointer<iovec>,
        context: UnsafeMutableRawPointer? = nil
    ) async throws(DMAError) {
        let record = handle
        try await awaitCompletion("push into \(self)") { cb, arg in
            spdk_memory_domain_push_data_export(record, context, destination.baseAddress, UInt32(destination.count),
                                                source.baseAddress, UInt32(source.count), cb, arg)
        }
    }

    /// Moves data from `sourceDomain` into this domain (`spdk_memory_domain_transfer_data`).
    public func transfer(
        into destination: UnsafeMutableBufferPointer<iovec>,
        from sourceDomain: MemoryDomain,
        _ source: UnsafeMutableBufferPointer<iovec>,
        translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>? = nil,
        destinationContext: UnsafeMutableRawPointer? = nil,
        sourceContext: UnsafeMutableRawPointer? = nil
    ) async throws(DMAError) {
        let record = handle
        let sourceRecord = sourceDomain.handle
        try await awaitCompletion("transfer from \(sourceDomain) into \(self)") { cb, arg in
            spdk_memory_domain_transfer_data_export(record, destinationContext, destination.baseAddress, UInt32(destination.count),
                                                    sourceRecord, sourceContext, source.baseAddress, UInt32(source.count),
                                                    translation, cb, arg)
        }
    }

    /// Fills buffers of this domain with zeroes (`spdk_memory_domain_memzero`).
    public func memzero(_ buffers: UnsafeMutableBufferPointer<iovec>, context: UnsafeMutableRawPointer? = nil) async throws(DMAError) {
        let record = handle
        try await awaitCompletion("memzero in \(self)") { cb, arg in
            spdk_memory_domain_memzero_export(record, context, buffers.baseAddress, UInt32(buffers.count), cb, arg)
        }
    }

    /// Describes a buffer of this domain in the terms of `destination` (`spdk_memory_domain_translate_data`).
    /// - Returns: The translation result (its `size` is set by this call).
    public func translate(
        _ address: UnsafeMutableRawPointer, length: Int, to destination: MemoryDomain,
        destinationContext: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>? = nil,
        context: UnsafeMutableRawPointer? = nil
    ) throws(DMAError) -> spdk_memory_domain_translation_result {
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        let rc = spdk_memory_domain_translate_data_export(handle, context, destination.handle, destinationContext, address, length, &result)
        if rc != 0 { throw DMAError(errno: rc, context: "translate \(length) bytes of \(self) to \(destination)") }
        return result
    }

    /// Drops what this domain cached for the buffers (`spdk_memory_domain_invalidate_data`).
    public func invalidate(_ buffers: UnsafeMutableBufferPointer<iovec>, context: UnsafeMutableRawPointer? = nil) {
        spdk_memory_domain_invalidate_data_export(handle, context, buffers.baseAddress, UInt32(buffers.count))
    }
}
