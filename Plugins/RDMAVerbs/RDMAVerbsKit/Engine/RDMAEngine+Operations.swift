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
    /// - Returns: 0 when started (the completion is delivered exactly once), otherwise -errno.
    public func read(remote: UnsafeBufferPointer<iovec>, into local: UnsafeBufferPointer<iovec>,
                     completion: OperationCompletion) -> Int32 {
        start(.read, remote: .host(remote), local: .host(local), completion: completion)
    }

    /// RDMA WRITE of the local buffers to the remote ones (push).
    /// - Returns: 0 when started (the completion is delivered exactly once), otherwise -errno.
    public func write(remote: UnsafeBufferPointer<iovec>, from local: UnsafeBufferPointer<iovec>,
                      completion: OperationCompletion) -> Int32 {
        start(.write, remote: .host(remote), local: .host(local), completion: completion)
    }

    /// Registers (host buffers), plans and submits one operation.
    /// - Returns: 0 when started (the completion is delivered exactly once), otherwise -errno.
    func start(_ kind: OperationKind, remote: Buffers, local: Buffers, completion: OperationCompletion) -> Int32 {
        var remoteHost: [(address: UInt, length: UInt)] = []
        var localHost: [(address: UInt, length: UInt)] = []
        if case .host(let iov) = remote {
            guard let buffers = Self.buffers(iov) else { return -EINVAL }
            remoteHost = buffers
        }
        if case .host(let iov) = local {
            guard let buffers = Self.buffers(iov) else { return -EINVAL }
            localHost = buffers
        }
        // Host buffers of both sides are leased in one go: remote ones first.
        var leases: [RegionLease]
        do throws(RegistrationCacheError) {
            leases = try registrations.acquire(remoteHost + localHost)
        } catch {
            Self.log("\(profile.name): \(error)")
            return -error.errno
        }
        // A caller's local keys are used only while their registration exists, and it is held
        // for the operation: a key whose registration was invalidated could name memory
        // registered since, so it is refused before anything is posted.
        if case .keyed(let segments) = local {
            guard let keyed = registrations.acquireKeyed(segments) else {
                registrations.release(leases)
                Self.log("\(profile.name): a translation's lkey is not a current registration of this device (used after invalidate?); refused with -EFAULT")
                return -EFAULT
            }
            leases += keyed
        }
        var owned: [MemoryRegion] = []
        if case .owned(_, let regions) = local { owned = regions }
        let remoteSegments: [KeyedSegment]
        switch remote {
        case .keyed(let segments), .owned(let segments, _): remoteSegments = segments
        case .host:
            remoteSegments = remoteHost.enumerated().map { index, buffer in
                KeyedSegment(address: UInt64(buffer.address), length: UInt64(buffer.length), key: leases[index].handle.rkey)
            }
        }
        let localSegments: [KeyedSegment]
        switch local {
        case .keyed(let segments), .owned(let segments, _): localSegments = segments
        case .host:
            localSegments = localHost.enumerated().map { index, buffer in
                KeyedSegment(address: UInt64(buffer.address), length: UInt64(buffer.length),
                             key: leases[remoteHost.count + index].handle.lkey)
            }
        }
        let plan: WorkPlan
        do throws(WorkPlanner.Failure) {
            plan = try WorkPlanner.plan(remote: remoteSegments, local: localSegments,
                                        maxSGE: kind == .read ? maxSGERead : maxSGE, maxMessage: profile.maxMessage)
        } catch {
            registrations.release(leases)
            if case .localTooShort(let localBytes, let remoteBytes) = error {
                Self.log("\(profile.name): local buffers hold \(localBytes) bytes, the domain buffers \(remoteBytes): the local side must be at least as long")
            }
            return -EINVAL
        }
        let operation = Operation(kind: kind, plan: plan, leases: leases, regions: owned, completion: completion)
        let rc = submit(operation)
        if rc != 0 { registrations.release(leases) }
        return rc
    }

    /// The non-empty entries of an iovec array; nil when one has a NULL base and a length.
    static func buffers(_ iov: UnsafeBufferPointer<iovec>) -> [(address: UInt, length: UInt)]? {
        var result: [(address: UInt, length: UInt)] = []
        result.reserveCapacity(iov.count)
        for entry in iov where entry.iov_len > 0 {
            guard let base = entry.iov_base else { return nil }
            result.append((UInt(bitPattern: base), UInt(entry.iov_len)))
        }
        return result
    }
}
