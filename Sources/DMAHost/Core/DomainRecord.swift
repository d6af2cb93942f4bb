import CDMAHostABI
internal import CDMAHostRegistry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pointer to one domain record (`struct spdk_memory_domain`, laid out in C).
///
/// The record is plain memory: reading a callback field is a load, with no reference
/// counting and no exclusivity check, which keeps the dispatch path as cheap as C.
typealias DomainRecord = UnsafeMutablePointer<spdk_memory_domain>

/// Allocation and release of domain records and of the copies they own.
/// Uses the C allocator so that a huge user context fails with ENOMEM instead of trapping.
enum DomainRecordStorage {
    /// Allocates a zeroed record holding copies of `id`, `context` and its user context.
    /// Leaves nothing allocated when it fails.
    static func make(
        type: Int32,
        context: UnsafePointer<spdk_memory_domain_ctx>?,
        id: UnsafePointer<CChar>?
    ) throws(DMAError) -> DomainRecord {
        if let context, context.pointee.size == 0 {
            throw .invalidArgument("memory domain context has size 0; set ctx->size = sizeof(struct spdk_memory_domain_ctx)")
        }
        guard let raw = calloc(1, MemoryLayout<spdk_memory_domain>.size) else {
            throw .outOfMemory("cannot allocate a memory domain")
        }
        let record = raw.bindMemory(to: spdk_memory_domain.self, capacity: 1)
        record.pointee.type = type
        clearCallbacks(of: record)
        do throws(DMAError) {
            if let id {
                guard let copy = strdup(id) else { throw .outOfMemory("cannot copy the device id") }
                record.pointee.id = copy
            }
            if let context {
                try copyContext(context, into: record)
            }
        } catch {
            release(record)
            throw error
        }
        return record
    }

    /// Puts the stub of each callback slot in place (`dmahost_unsupported_*`: -ENOTSUP, and
    /// nothing for invalidate): the slots are never NULL, so the dispatchers (dispatch.S) jump
    /// through them without a check. For a new record, and for a destroyed one.
    static func clearCallbacks(of record: DomainRecord) {
        record.pointee.pull_cb = dmahost_unsupported_pull
        record.pointee.push_cb = dmahost_unsupported_push
        record.pointee.transfer_cb = dmahost_unsupported_transfer
        record.pointee.translate_cb = dmahost_unsupported_translate
        record.pointee.invalidate_cb = dmahost_unsupported_invalidate
        record.pointee.memzero_cb = dmahost_unsupported_memzero
    }

    /// Copies `min(sizeof, ctx->size)` bytes of the context, and the user context when the
    /// caller's struct is large enough to carry `user_ctx_size` and both `user_ctx` and
    /// `user_ctx_size` are set (as in SPDK, a size of 0 means no user context).
    private static func copyContext(_ context: UnsafePointer<spdk_memory_domain_ctx>, into record: DomainRecord) throws(DMAError) {
        let fullSize = MemoryLayout<spdk_memory_domain_ctx>.size
        let copySize = min(fullSize, context.pointee.size)
        guard let raw = calloc(1, fullSize) else { throw .outOfMemory("cannot copy the memory domain context") }
        memcpy(raw, context, copySize)
        let copy = raw.bindMemory(to: spdk_memory_domain_ctx.self, capacity: 1)
        copy.pointee.size = copySize
        record.pointee.ctx = copy

        let userSizeEnd = MemoryLayout<spdk_memory_domain_ctx>.offset(of: \.user_ctx_size)! + MemoryLayout<Int>.size
        guard let user = context.pointee.user_ctx, context.pointee.size >= userSizeEnd else { return }
        let userSize = context.pointee.user_ctx_size
        guard userSize != 0 else { return }
        guard let userCopy = calloc(1, userSize) else {
            throw .outOfMemory("cannot copy a user context of \(userSize) bytes")
        }
        memcpy(userCopy, user, userSize)
        record.pointee.user_ctx = userCopy
        record.pointee.user_ctx_size = userSize
    }

    /// Frees a record and everything it owns. Never called on the system domain; called on a
    /// destroyed record when it leaves the quarantine.
    static func release(_ record: DomainRecord) {
        free(record.pointee.id)
        free(record.pointee.ctx)
        free(record.pointee.user_ctx)
        free(record)
    }
}
