import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The argument contract of the data operations (`dmahost/iovec.h`), for Swift backends.
///
/// Each check calls the header's C function (the one implementation, shared with C plugins
/// and the system domain) and either returns what the operation may use — the lists, the
/// completion and the byte count, no longer optional — or throws the ``IOVecError`` whose
/// ``IOVecError/negativeErrno`` the callback returns without calling the completion.
///
/// Call it first in every pull, push, transfer, memzero and translate callback. It costs one
/// pass over each list and allocates nothing. In short (the header has the exact order):
/// a NULL completion, a NULL array with entries, an entry longer than SSIZE_MAX, a total above
/// SSIZE_MAX, a list of 0 bytes, or two sides of different totals is `-EINVAL`; an entry with a
/// length and a NULL base, or whose range wraps past the end of the address space, is `-EFAULT`.
public enum IOVecContract {
    /// The largest length of one entry and of a list's total: SSIZE_MAX.
    public static let maximumLength = Int.max

    /// Checks the arguments of a pull, push or transfer.
    ///
    /// The roles: pull reads the domain's `src_iov` into the local `dst_iov`; push reads the
    /// local `src_iov` into the domain's `dst_iov`; transfer reads `src_iov` into `dst_iov`.
    /// - Parameters:
    ///   - completion: The operation's `cpl_cb`.
    ///   - source: The source entries (only read).
    ///   - sourceCount: Entries in `source`.
    ///   - destination: The destination entries (only read).
    ///   - destinationCount: Entries in `destination`.
    /// - Returns: The checked operation: both lists, the completion, and the byte count, which
    ///   is the same on both sides.
    /// - Throws: ``IOVecError`` for the first check that fails (`dmahost_iov_check_copy`).
    @inlinable
    public static func checkCopy(
        completion: spdk_memory_domain_data_cpl_cb?,
        source: UnsafePointer<iovec>?, sourceCount: UInt32,
        destination: UnsafePointer<iovec>?, destinationCount: UInt32
    ) throws(IOVecError) -> CheckedCopy {
        if sourceCount == 1, destinationCount == 1, let completion, let source, let destination,
           let length = validSingleEntryLength(source.pointee, destination.pointee) {
            return CheckedCopy(source: source, sourceCount: 1, destination: destination, destinationCount: 1,
                               completion: completion, length: length)
        }
        return try checkCopyThroughHeader(completion: completion, source: source, sourceCount: sourceCount,
                                          destination: destination, destinationCount: destinationCount)
    }

    /// ``checkCopy(completion:source:sourceCount:destination:destinationCount:)`` by
    /// `dmahost_iov_check_copy`, for every case the one-entry path does not accept. Not inlined:
    /// the callbacks that inline the one-entry path then keep no stack slot for the total and no
    /// throw site of their own.
    @usableFromInline @inline(never)
    static func checkCopyThroughHeader(
        completion: spdk_memory_domain_data_cpl_cb?,
        source: UnsafePointer<iovec>?, sourceCount: UInt32,
        destination: UnsafePointer<iovec>?, destinationCount: UInt32
    ) throws(IOVecError) -> CheckedCopy {
        var length = 0
        let rc = dmahost_iov_check_copy(completion, source, sourceCount, destination, destinationCount, &length)
        guard rc == 0, let completion, let source, let destination else { throw IOVecError(negativeErrno: rc) }
        return CheckedCopy(source: source, sourceCount: sourceCount, destination: destination,
                           destinationCount: destinationCount, completion: completion, length: length)
    }

    /// The byte count of a copy between two one-entry lists when `dmahost_iov_check_copy` would
    /// accept it: equal lengths of 1 ... SSIZE_MAX, non-NULL bases, and neither range wrapping
    /// past the end of the address space; nil for anything else, which the header's check then
    /// answers with its exact error. The common case of every copy, without two loops.
    @inlinable @inline(__always)
    static func validSingleEntryLength(_ source: iovec, _ destination: iovec) -> Int? {
        let length = source.iov_len
        // `size_t` imports as Int: a length above SSIZE_MAX reads negative.
        guard length > 0, length == destination.iov_len,
              let sourceBase = source.iov_base, let destinationBase = destination.iov_base,
              UInt(bitPattern: length) <= ~UInt(bitPattern: sourceBase),
              UInt(bitPattern: length) <= ~UInt(bitPattern: destinationBase) else { return nil }
        return length
    }

    /// Checks the arguments of a memzero (its one list is the destination).
    /// - Parameters:
    ///   - completion: The operation's `cpl_cb`.
    ///   - buffers: The entries to zero (only read).
    ///   - count: Entries in `buffers`.
    /// - Returns: The checked list, the completion and the byte count.
    /// - Throws: ``IOVecError`` for the first check that fails (`dmahost_iov_check_memzero`).
    @inlinable
    public static func checkMemzero(
        completion: spdk_memory_domain_data_cpl_cb?, buffers: UnsafePointer<iovec>?, count: UInt32
    ) throws(IOVecError) -> CheckedFill {
        var length = 0
        let rc = dmahost_iov_check_memzero(completion, buffers, count, &length)
        guard rc == 0, let completion, let buffers else { throw IOVecError(negativeErrno: rc) }
        return CheckedFill(buffers: buffers, count: count, completion: completion, length: length)
    }

    /// Checks one list on its own, e.g. the entries of a translation a backend reads instead
    /// of the caller's source list.
    /// - Parameters:
    ///   - list: The entries (only read).
    ///   - count: Entries in `list`.
    /// - Returns: The total length, 1 ... SSIZE_MAX.
    /// - Throws: ``IOVecError`` for the first check that fails (`dmahost_iov_check_list`).
    @inlinable
    public static func checkList(_ list: UnsafePointer<iovec>?, count: UInt32) throws(IOVecError) -> Int {
        var length = 0
        let rc = dmahost_iov_check_list(list, count, &length)
        guard rc == 0 else { throw IOVecError(negativeErrno: rc) }
        return length
    }

    /// Checks the arguments of a translate.
    /// - Parameters:
    ///   - address: Start of the buffer (never dereferenced).
    ///   - length: Its length in bytes (`size_t`: a negative value stands for one above SSIZE_MAX).
    ///   - result: The caller's result structure; only its `size` is read.
    /// - Returns: The address, length and result, no longer optional.
    /// - Throws: ``IOVecError`` for the first check that fails (`dmahost_iov_check_translate`).
    @inlinable
    public static func checkTranslate(
        address: UnsafeMutableRawPointer?, length: Int,
        result: UnsafeMutablePointer<spdk_memory_domain_translation_result>?
    ) throws(IOVecError) -> CheckedTranslation {
        let rc = dmahost_iov_check_translate(address, length, result)
        guard rc == 0, let address, let result else { throw IOVecError(negativeErrno: rc) }
        return CheckedTranslation(address: address, length: length, result: result)
    }
}
