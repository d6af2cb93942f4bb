import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension CheckedTranslation {
    /// Writes the one-entry answer every translate callback of this project gives: the checked
    /// buffer itself (`iov_count` 1, `iov` = {address, length}, no `iovs` array) as addressed in
    /// `destination`, with the RDMA keys that reach it there (0 where the destination needs none).
    /// Fields of an extended result beyond `struct spdk_memory_domain_translation_result` are
    /// left to the caller.
    /// - Parameters:
    ///   - destination: The domain the buffer was translated into (`result.dst_domain`).
    ///   - lkey: The local key of the buffer's registration, or 0.
    ///   - rkey: The remote key of the buffer's registration, or 0.
    @inlinable
    public func answer(for destination: OpaquePointer?, lkey: UInt32 = 0, rkey: UInt32 = 0) {
        result.pointee.iov_count = 1
        result.pointee.iov = iovec(iov_base: address, iov_len: length)
        result.pointee.iovs = nil
        result.pointee.dst_domain = destination
        result.pointee.rdma.lkey = lkey
        result.pointee.rdma.rkey = rkey
    }
}
