import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// What the checks of ``IOVecContract`` return: the arguments of one operation, no longer
// optional, with the byte count the check computed. Only the checks make them.

/// A pull, push or transfer whose arguments passed ``IOVecContract/checkCopy(completion:source:sourceCount:destination:destinationCount:)``.
/// Only that check makes one. The pointers are the caller's: valid until the completion runs.
public struct CheckedCopy {
    /// Source entries (at least one byte in all).
    public let source: UnsafePointer<iovec>
    /// Entries in ``source``.
    public let sourceCount: UInt32
    /// Destination entries.
    public let destination: UnsafePointer<iovec>
    /// Entries in ``destination``.
    public let destinationCount: UInt32
    /// The completion callback.
    public let completion: spdk_memory_domain_data_cpl_cb
    /// Bytes to move: the total of each side (1 ... SSIZE_MAX).
    public let length: Int

    @usableFromInline
    init(source: UnsafePointer<iovec>, sourceCount: UInt32, destination: UnsafePointer<iovec>, destinationCount: UInt32,
         completion: @escaping spdk_memory_domain_data_cpl_cb, length: Int) {
        self.source = source
        self.sourceCount = sourceCount
        self.destination = destination
        self.destinationCount = destinationCount
        self.completion = completion
        self.length = length
    }

    /// The source entries as a buffer.
    public var sourceEntries: UnsafeBufferPointer<iovec> { UnsafeBufferPointer(start: source, count: Int(sourceCount)) }
    /// The destination entries as a buffer.
    public var destinationEntries: UnsafeBufferPointer<iovec> {
        UnsafeBufferPointer(start: destination, count: Int(destinationCount))
    }
}

/// A memzero whose arguments passed ``IOVecContract/checkMemzero(completion:buffers:count:)``.
/// Only that check makes one. The pointer is the caller's: valid until the completion runs.
public struct CheckedFill {
    /// The entries to fill (at least one byte in all).
    public let buffers: UnsafePointer<iovec>
    /// Entries in ``buffers``.
    public let count: UInt32
    /// The completion callback.
    public let completion: spdk_memory_domain_data_cpl_cb
    /// Bytes to fill (1 ... SSIZE_MAX).
    public let length: Int

    @usableFromInline
    init(buffers: UnsafePointer<iovec>, count: UInt32, completion: @escaping spdk_memory_domain_data_cpl_cb, length: Int) {
        self.buffers = buffers
        self.count = count
        self.completion = completion
        self.length = length
    }

    /// The entries as a buffer.
    public var entries: UnsafeBufferPointer<iovec> { UnsafeBufferPointer(start: buffers, count: Int(count)) }
}

/// A translate whose arguments passed ``IOVecContract/checkTranslate(address:length:result:)``.
public struct CheckedTranslation {
    /// Start of the buffer (not NULL; `address + length` does not wrap).
    public let address: UnsafeMutableRawPointer
    /// Its length (1 ... SSIZE_MAX).
    public let length: Int
    /// The caller's result, at least `sizeof(struct spdk_memory_domain_translation_result)` bytes.
    public let result: UnsafeMutablePointer<spdk_memory_domain_translation_result>

    @usableFromInline
    init(address: UnsafeMutableRawPointer, length: Int, result: UnsafeMutablePointer<spdk_memory_domain_translation_result>) {
        self.address = address
        self.length = length
        self.result = result
    }
}
