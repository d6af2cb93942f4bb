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
///
/// The completion goes through a ``CompletionSlot``: the call returns exactly once whatever
/// the domain does with its completion (calls it twice, after an error, never), and such
/// faults are counted in ``CompletionFaults``. A status that is neither 0 nor a negated errno
/// is an `EIO` error (see ``PluginStatus``).
///
/// `timeout` bounds the wait for the completion once the domain accepted the operation: nil
/// (the default) waits for as long as the device takes. When it expires the call throws
/// `ETIMEDOUT` (``DMAError/system(errno:_:)``) naming the operation and its size, and a
/// completion that comes later is counted as late. The device may then still access the
/// buffers: keep them valid until the device is closed.
extension MemoryDomain {
    /// Copies data out of this domain into local memory (`spdk_memory_domain_pull_data`).
    public func pull(
        from source: UnsafeMutableBufferPointer<iovec>,
        into destination: UnsafeMutableBufferPointer<iovec>,
        context: UnsafeMutableRawPointer? = nil,
        timeout: Duration? = nil
    ) async throws(DMAError) {
        let record = handle
        let (sourceCount, destinationCount) = (try iovecCount(source), try iovecCount(destination))
        try await awaitCompletion("pull from \(self)", domain: record, bytes: byteCount(source), timeout: timeout, diagnose: {
            copyDiagnosis(source, sourceCount, destination, destinationCount)
        }) { cb, arg in
            spdk_memory_domain_pull_data_export(record, context, source.baseAddress, sourceCount,
                                                destination.baseAddress, destinationCount, cb, arg)
        }
    }

    /// Copies data from local memory into this domain (`spdk_memory_domain_push_data`).
    public func push(
        into destination: UnsafeMutableBufferPointer<iovec>,
        from source: UnsafeMutableBufferPointer<iovec>,
        context: UnsafeMutableRawPointer? = nil,
        timeout: Duration? = nil
    ) async throws(DMAError) {
        let record = handle
        let (sourceCount, destinationCount) = (try iovecCount(source), try iovecCount(destination))
        try await awaitCompletion("push into \(self)", domain: record, bytes: byteCount(source), timeout: timeout, diagnose: {
            copyDiagnosis(source, sourceCount, destination, destinationCount)
        }) { cb, arg in
            spdk_memory_domain_push_data_export(record, context, destination.baseAddress, destinationCount,
                                                source.baseAddress, sourceCount, cb, arg)
        }
    }

    /// Moves data from `sourceDomain` into this domain (`spdk_memory_domain_transfer_data`).
    public func transfer(
        into destination: UnsafeMutableBufferPointer<iovec>,
        from sourceDomain: MemoryDomain,
        _ source: UnsafeMutableBufferPointer<iovec>,
        translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>? = nil,
        destinationContext: UnsafeMutableRawPointer? = nil,
        sourceContext: UnsafeMutableRawPointer? = nil,
        timeout: Duration? = nil
    ) async throws(DMAError) {
        let record = handle
        let sourceRecord = sourceDomain.handle
        let (sourceCount, destinationCount) = (try iovecCount(source), try iovecCount(destination))
        try await awaitCompletion("transfer from \(sourceDomain) into \(self)", domain: record, bytes: byteCount(source),
                                  timeout: timeout, diagnose: {
            copyDiagnosis(source, sourceCount, destination, destinationCount)
        }) { cb, arg in
            spdk_memory_domain_transfer_data_export(record, destinationContext, destination.baseAddress, destinationCount,
                                                    sourceRecord, sourceContext, source.baseAddress, sourceCount,
                                                    translation, cb, arg)
        }
    }

    /// Fills buffers of this domain with zeroes (`spdk_memory_domain_memzero`).
    public func memzero(_ buffers: UnsafeMutableBufferPointer<iovec>, context: UnsafeMutableRawPointer? = nil,
                        timeout: Duration? = nil) async throws(DMAError) {
        let record = handle
        let count = try iovecCount(buffers)
        try await awaitCompletion("memzero in \(self)", domain: record, bytes: byteCount(buffers), timeout: timeout, diagnose: {
            IOVecContract.diagnoseMemzero(completion: CompletionSlot.callback, buffers: UnsafePointer(buffers.baseAddress), count: count)
        }) { cb, arg in
            spdk_memory_domain_memzero_export(record, context, buffers.baseAddress, count, cb, arg)
        }
    }

    /// Describes a buffer of this domain in the terms of `destination` (`spdk_memory_domain_translate_data`).
    ///
    /// The result is the domain's, unchecked: validate its count, pointers and lengths before
    /// reading or writing through it (a careless driver may describe address 0x10).
    /// - Returns: The translation result (its `size` is set by this call).
    public func translate(
        _ address: UnsafeMutableRawPointer, length: Int, to destination: MemoryDomain,
        destinationContext: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>? = nil,
        context: UnsafeMutableRawPointer? = nil
    ) throws(DMAError) -> spdk_memory_domain_translation_result {
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        let rc = spdk_memory_domain_translate_data_export(handle, context, destination.handle, destinationContext, address, length, &result)
        // A status that is no negated errno (INT32_MIN, positive) is an EIO error quoting it.
        if let error = PluginStatus(rc).error(context: "translate \(length) bytes of \(self) to \(destination)") { throw error }
        return result
    }

    /// Drops what this domain cached for the buffers (`spdk_memory_domain_invalidate_data`).
    /// - Throws: ``DMAError/invalidArgument(_:)`` for more than `UInt32.max` buffers.
    public func invalidate(_ buffers: UnsafeMutableBufferPointer<iovec>, context: UnsafeMutableRawPointer? = nil) throws(DMAError) {
        spdk_memory_domain_invalidate_data_export(handle, context, buffers.baseAddress, try iovecCount(buffers))
    }
}

/// The iovec count as the C ABI takes it.
/// - Throws: ``DMAError/invalidArgument(_:)`` when the list has more than `UInt32.max` entries.
private func iovecCount(_ buffers: UnsafeMutableBufferPointer<iovec>) throws(DMAError) -> UInt32 {
    guard let count = UInt32(exactly: buffers.count) else {
        throw .invalidArgument("an iovec list of \(buffers.count) entries exceeds the C ABI's UInt32 count; split the operation")
    }
    return count
}

/// The total length of an iovec list, saturating (for messages only: never traps).
private func byteCount(_ buffers: UnsafeMutableBufferPointer<iovec>) -> Int {
    buffers.reduce(0) { total, entry in
        let (sum, overflow) = total.addingReportingOverflow(Int(clamping: entry.iov_len))
        return overflow ? Int.max : sum
    }
}

/// Which argument of a pull, push or transfer broke the contract (for a refusal's message).
private func copyDiagnosis(_ source: UnsafeMutableBufferPointer<iovec>, _ sourceCount: UInt32,
                           _ destination: UnsafeMutableBufferPointer<iovec>, _ destinationCount: UInt32) -> IOVecViolation? {
    IOVecContract.diagnoseCopy(completion: CompletionSlot.callback, source: UnsafePointer(source.baseAddress), sourceCount: sourceCount,
                               destination: UnsafePointer(destination.baseAddress), destinationCount: destinationCount)
}
