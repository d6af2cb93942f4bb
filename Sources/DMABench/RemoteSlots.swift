import CDMAHostABI
@_spi(CABI) import DMAHost
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The domain's side of a working set when the domain is remote (`dmahost/remote.h`): as many
/// slots as the set's, allocated by the domain's server. Their addresses belong to the server's
/// process and are never dereferenced here: the runners put them in the domain's iovecs (the
/// destination of a push or memzero, the source of a pull), the baseline keeps the set's local
/// slots, and the data is checked by pulling it back.
public final class RemoteSlots: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; the context is the domain's copy, valid until
    // the domain is destroyed, and its functions may be called from any thread.

    /// The first slot (an address in the domain).
    let base: UnsafeMutableRawPointer
    private let bytes: Int
    private let domain: OpaquePointer
    private let context: UnsafePointer<dmahost_remote_domain_ctx>

    /// Allocates `set`'s slots in `domain`, or returns nil when the domain is not remote. For
    /// operations that read the domain (read, a mix), the slots get the set's source pattern.
    /// - Throws: ``DMAError`` when the server cannot allocate them, or the pattern cannot be pushed.
    public init?(domain: MemoryDomain, set: WorkingSet, operation: BenchOperation, readPercent: Int) throws(DMAError) {
        guard let user = domain.userContext, let address = user.baseAddress,
              let context = dmahost_remote_domain_ctx_get(address, user.count),
              let alloc = context.pointee.alloc else { return nil }
        bytes = set.slots * set.stride
        var start: UInt64 = 0
        let rc = alloc(context, UInt64(bytes), UInt64(PageSize.bytes), &start)
        guard rc == 0, let base = UnsafeMutableRawPointer(bitPattern: UInt(start)) else {
            throw DMAError(errno: rc == 0 ? -ENOMEM : rc, context: "allocate the \(bytes)-byte working set in \(domain.id ?? "the remote domain") "
                           + "(a larger `dmactl serve --size`, or --hot or a lower --size/--qd)")
        }
        self.base = base
        self.domain = domain.handle
        self.context = context
        if operation != .fill && readPercent > 0, let source = set.source {
            for slot in 0..<set.slots {
                try move(push: true, remote: slot * set.stride, local: source + slot * set.stride, length: set.size)
            }
        }
    }

    deinit { _ = context.pointee.free?(context, UInt64(UInt(bitPattern: base))) }

    /// Slot `index % set.slots`, as ``WorkingSet`` numbers its own.
    @inline(__always)
    func slot(_ index: Int, of set: WorkingSet) -> UnsafeMutableRawPointer { base + (index % set.slots) * set.stride }

    /// Checks slot `sequence` after the run: pulls it and compares it with the source pattern
    /// (copy, write, a mix) or zeroes (fill); for a read, what was pulled into the local slot.
    func verify(sequence: Int, set: WorkingSet, operation: BenchOperation, readPercent: Int) -> Bool {
        guard sequence >= 0 else { return false }
        if operation != .fill && readPercent == 100, let source = set.sourceSlot(sequence) {
            return memcmp(set.destinationSlot(sequence), source, set.size) == 0
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(set.size, 1), alignment: 64)
        defer { copy.deallocate() }
        let offset = (sequence % set.slots) * set.stride
        guard (try? move(push: false, remote: offset, local: copy, length: set.size)) != nil else { return false }
        if operation != .fill, let source = set.sourceSlot(sequence) { return memcmp(copy, source, set.size) == 0 }
        return UnsafeRawBufferPointer(start: copy, count: set.size).allSatisfy { $0 == 0 }
    }

    /// One push (local → slot) or pull, waited for.
    private func move(push: Bool, remote offset: Int, local: UnsafeMutableRawPointer, length: Int) throws(DMAError) {
        var remote = iovec(iov_base: base + offset, iov_len: length)
        var near = iovec(iov_base: local, iov_len: length)
        let waiter = CompletionWaiter()
        let argument = Unmanaged.passRetained(waiter).toOpaque()
        let rc = push ? spdk_memory_domain_push_data_export(domain, nil, &remote, 1, &near, 1, CompletionWaiter.callback, argument)
                      : spdk_memory_domain_pull_data_export(domain, nil, &remote, 1, &near, 1, CompletionWaiter.callback, argument)
        guard rc == 0 else {
            Unmanaged<CompletionWaiter>.fromOpaque(argument).release()
            throw DMAError(errno: rc, context: push ? "push into the remote working set" : "pull from the remote working set")
        }
        let status = waiter.wait()
        guard status == 0 else {
            throw DMAError(errno: status, context: push ? "push into the remote working set" : "pull from the remote working set")
        }
    }
}

/// A completion a synchronous caller waits for (a pthread mutex and condition in memory of
/// their own, never moved).
private final class CompletionWaiter: @unchecked Sendable {
    // @unchecked Sendable: `status` and `done` are read and written under `mutex` only.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var status: Int32 = 0
    private var done = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// The completion callback; its argument is a retained waiter, released here.
    static let callback: spdk_memory_domain_data_cpl_cb = { argument, rc in
        guard let argument else { return }
        let waiter = Unmanaged<CompletionWaiter>.fromOpaque(argument).takeRetainedValue()
        pthread_mutex_lock(waiter.mutex)
        waiter.status = rc
        waiter.done = true
        pthread_cond_signal(waiter.condition)
        pthread_mutex_unlock(waiter.mutex)
    }

    /// Waits for the completion; returns its status.
    func wait() -> Int32 {
        pthread_mutex_lock(mutex)
        while !done { pthread_cond_wait(condition, mutex) }
        let result = status
        pthread_mutex_unlock(mutex)
        return result
    }
}
