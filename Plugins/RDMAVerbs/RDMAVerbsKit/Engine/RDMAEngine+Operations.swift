import CIBVerbsShim
import RegistrationCache
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starting operations from scatter-gather lists of host virtual addresses: the buffers are
/// registered through the cache (leases held until the operation ends), planned into work
/// requests and submitted.
extension RDMAEngine {
    /// One side of an operation.
    enum Buffers {
        /// Host buffers, registered through the cache.
        case host(UnsafeBufferPointer<iovec>)
        /// Buffers with keys already known. Local ones (a caller's translation) must name a
        /// current registration of this device, which is held for the operation; remote ones
        /// are posted as given (only tests use them, to provoke remote access errors).
        case keyed([KeyedSegment])
        /// Local buffers registered for this operation alone (dma-buf memory, which the cache
        /// must not keep: its mapping can go away without an invalidate); the regions are
        /// deregistered when the operation ends.
        case owned([KeyedSegment], [MemoryRegion])
    }

    /// RDMA READ of the remote buffers into the local ones (pull).
    ///
    /// Callers check the lists against the contract of `dmahost/iovec.h` first
    /// (``IOVecContract``): both sides must hold the same number of bytes, at least one. What
    /// the engine refuses on its own gets the contract's errno: an entry longer than SSIZE_MAX,
    /// sides of different totals or no bytes at all -EINVAL, a NULL base with a length -EFAULT.
    /// - Returns: 0 when started (the completion is delivered exactly once), otherwise -errno.
    public func read(remote: UnsafeBufferPointer<iovec>, into local: UnsafeBufferPointer<iovec>,
                     completion: OperationCompletion) -> Int32 {
        start(.read, remote: .host(remote), local: .host(local), completion: completion)
    }

    /// RDMA WRITE of the local buffers to the remote ones (push). Same contract as
    /// ``read(remote:into:completion:)``.
    /// - Returns: 0 when started (the completion is delivered exactly once), otherwise -errno.
    public func write(remote: UnsafeBufferPointer<iovec>, from local: UnsafeBufferPointer<iovec>,
                      completion: OperationCompletion) -> Int32 {
        start(.write, remote: .host(remote), local: .host(local), completion: completion)
    }

    /// Registers (host buffers), plans and submits one operation.
    ///
    /// One array holds both sides' segments, the domain side first: host buffers enter it with
    /// no key, and take the rkey (domain side) or lkey (local side) of their lease. The planner
    /// reads both halves in place, so an operation costs four allocations (segments, leases,
    /// the plan, the operation), whatever its shape.
    /// - Returns: 0 when started (the completion is delivered exactly once), otherwise -errno.
    func start(_ kind: OperationKind, remote: Buffers, local: Buffers, completion: OperationCompletion) -> Int32 {
        var segments: [KeyedSegment] = []
        segments.reserveCapacity(remote.entryCount + local.entryCount)
        var appended = remote.appendSegments(to: &segments)
        guard appended == 0 else { return appended }
        let remoteCount = segments.count
        appended = local.appendSegments(to: &segments)
        guard appended == 0 else { return appended }
        // Host buffers of both sides are leased in one go (a contiguous run of `segments`).
        let hosted = (remote.isHost ? 0 : remoteCount)..<(local.isHost ? segments.count : remoteCount)
        var leases: [RegionLease]
        do throws(RegistrationCacheError) {
            leases = try registrations.acquire(segments[hosted])
        } catch {
            Self.log("\(profile.name): \(error)")
            return -error.errno
        }
        for (index, lease) in zip(hosted, leases) {
            segments[index].key = index < remoteCount ? lease.handle.rkey : lease.handle.lkey
        }
        // A caller's local keys are used only while their registration exists, and it is held
        // for the operation: a key whose registration was invalidated could name memory
        // registered since, so it is refused before anything is posted.
        if case .keyed = local {
            guard let keyed = registrations.acquireKeyed(segments[remoteCount...]) else {
                registrations.release(leases)
                Self.log("\(profile.name): a translation's lkey is not a current registration of this device (used after invalidate?); refused with -EFAULT")
                return -EFAULT
            }
            leases += keyed
        }
        var owned: [MemoryRegion] = []
        if case .owned(_, let regions) = local { owned = regions }
        let plan: WorkPlan
        do throws(WorkPlanner.Failure) {
            plan = try WorkPlanner.plan(remote: segments[..<remoteCount], local: segments[remoteCount...],
                                        maxSGE: kind == .read ? maxSGERead : maxSGE, maxMessage: profile.maxMessage)
        } catch {
            registrations.release(leases)
            if case .lengthMismatch(let localBytes, let remoteBytes) = error {
                Self.log("\(profile.name): local buffers hold \(localBytes) bytes, the domain buffers \(remoteBytes): both sides must hold the same number of bytes")
            }
            return -EINVAL
        }
        let operation = Operation(kind: kind, plan: plan, leases: leases, regions: owned, completion: completion)
        let rc = submit(operation)
        if rc != 0 { registrations.release(leases) }
        return rc
    }
}

extension RDMAEngine.Buffers {
    /// Host buffers, registered through the cache.
    var isHost: Bool {
        if case .host = self { return true }
        return false
    }

    /// Number of entries (empty ones included).
    var entryCount: Int {
        switch self {
        case .host(let iov): iov.count
        case .keyed(let segments), .owned(let segments, _): segments.count
        }
    }

    /// Appends the non-empty segments of this side; host buffers get key 0 until leased.
    /// Nothing is skipped but empty entries: a length above SSIZE_MAX (a negative `Int`) is
    /// refused, not taken for empty.
    /// - Returns: 0; -EINVAL for a host entry longer than SSIZE_MAX, -EFAULT for a host entry
    ///   with a NULL base and a length (the errnos of `dmahost/iovec.h`).
    func appendSegments(to segments: inout [KeyedSegment]) -> Int32 {
        switch self {
        case .host(let iov):
            for entry in iov where entry.iov_len != 0 {
                guard entry.iov_len > 0 else { return -EINVAL }
                guard let base = entry.iov_base else { return -EFAULT }
                segments.append(KeyedSegment(address: UInt64(UInt(bitPattern: base)), length: UInt64(entry.iov_len), key: 0))
            }
        case .keyed(let keyed), .owned(let keyed, _):
            segments.append(contentsOf: keyed)
        }
        return 0
    }
}
