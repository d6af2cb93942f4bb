import CDMAHostABI
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The shared first half of every data callback of an owned domain: check the arguments against
// the contract of dmahost/iovec.h, then find the domain's owner. A backend's callback is then
// one call that says what its owner does with the checked operation.

extension DomainOwnership {
    /// The body of a pull or push callback (and of a transfer whose source needs nothing more):
    /// checks the arguments with ``IOVecContract/checkCopy(completion:source:sourceCount:destination:destinationCount:)``,
    /// finds the owner of `domain`, and returns what `start` returns for the checked copy.
    ///
    /// ```swift
    /// static let pull: spdk_memory_domain_pull_data_cb = { domain, _, src, srcCount, dst, dstCount, cpl, arg in
    ///     domains.startCopy(on: domain, source: src, sourceCount: srcCount,
    ///                       destination: dst, destinationCount: dstCount, completion: cpl) { engine, copy in
    ///         engine.submit(copy, argument: arg)
    ///     }
    /// }
    /// ```
    /// - Parameters:
    ///   - domain: The domain the callback was called for.
    ///   - source: The source entries, as the callback received them.
    ///   - sourceCount: Entries in `source`.
    ///   - destination: The destination entries, as the callback received them.
    ///   - destinationCount: Entries in `destination`.
    ///   - completion: The operation's `cpl_cb`.
    ///   - refused: What to return for arguments the check refuses (default: its negated errno;
    ///     a backend may log first).
    ///   - start: Starts the operation on the owner: 0 when accepted (the completion then fires
    ///     exactly once), else a negated errno.
    /// - Returns: What `refused` returns for refused arguments (-EINVAL, -EFAULT), -ENODEV when `domain`
    ///   is not a live domain of this instance, or what `start` returned.
    @inlinable @inline(__always)
    public func startCopy(
        on domain: OpaquePointer?,
        source: UnsafePointer<iovec>?, sourceCount: UInt32,
        destination: UnsafePointer<iovec>?, destinationCount: UInt32,
        completion: spdk_memory_domain_data_cpl_cb?,
        refused: (IOVecError) -> Int32 = { $0.negativeErrno },
        _ start: (Owner, CheckedCopy) -> Int32
    ) -> Int32 {
        // The owner is found before the arguments are checked and used after: on the way the
        // checked copy's fields stay in registers (a lookup through the host, a call, would
        // make the compiler save them on every call). Refused arguments still win over an
        // unknown domain.
        let word = ownerWord(of: domain)
        do throws(IOVecError) {
            let copy = try IOVecContract.checkCopy(completion: completion, source: source, sourceCount: sourceCount,
                                                   destination: destination, destinationCount: destinationCount)
            return withOwner(word: word) { start($0, copy) } ?? -ENODEV
        } catch {
            return refused(error)
        }
    }

    /// The body of a memzero callback: checks the arguments with
    /// ``IOVecContract/checkMemzero(completion:buffers:count:)``, finds the owner of `domain`,
    /// and returns what `start` returns for the checked fill.
    /// - Parameters:
    ///   - domain: The domain the callback was called for.
    ///   - buffers: The entries to zero, as the callback received them.
    ///   - count: Entries in `buffers`.
    ///   - completion: The operation's `cpl_cb`.
    ///   - refused: What to return for arguments the check refuses (default: its negated errno).
    ///   - start: Starts the operation on the owner: 0 when accepted, else a negated errno.
    /// - Returns: What `refused` returns for refused arguments, -ENODEV when `domain` is not a live
    ///   domain of this instance, or what `start` returned.
    @inlinable @inline(__always)
    public func startMemzero(
        on domain: OpaquePointer?,
        buffers: UnsafePointer<iovec>?, count: UInt32,
        completion: spdk_memory_domain_data_cpl_cb?,
        refused: (IOVecError) -> Int32 = { $0.negativeErrno },
        _ start: (Owner, CheckedFill) -> Int32
    ) -> Int32 {
        let fill: CheckedFill
        do throws(IOVecError) {
            fill = try IOVecContract.checkMemzero(completion: completion, buffers: buffers, count: count)
        } catch {
            return refused(error)
        }
        return withOwner(of: domain) { start($0, fill) } ?? -ENODEV
    }

    /// The body of a translate callback: checks the arguments with
    /// ``IOVecContract/checkTranslate(address:length:result:)``, finds the owner of the source
    /// domain, and returns what `translate` returns (see ``CheckedTranslation/answer(for:lkey:rkey:)``).
    /// - Parameters:
    ///   - domain: The source domain the callback was called for.
    ///   - address: The buffer's start, as the callback received it.
    ///   - length: Its length.
    ///   - result: The caller's result structure.
    ///   - refused: What to return for arguments the check refuses (default: its negated errno).
    ///   - translate: Fills the result: 0, or a negated errno.
    /// - Returns: What `refused` returns for refused arguments, -ENODEV when `domain` is not a
    ///   live domain of this instance, or what `translate` returned.
    @inlinable @inline(__always)
    public func startTranslate(
        on domain: OpaquePointer?,
        address: UnsafeMutableRawPointer?, length: Int,
        result: UnsafeMutablePointer<spdk_memory_domain_translation_result>?,
        refused: (IOVecError) -> Int32 = { $0.negativeErrno },
        _ translate: (Owner, CheckedTranslation) -> Int32
    ) -> Int32 {
        do throws(IOVecError) {
            let checked = try IOVecContract.checkTranslate(address: address, length: length, result: result)
            return withOwner(of: domain) { translate($0, checked) } ?? -ENODEV
        } catch {
            return refused(error)
        }
    }
}
