import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open RDMA device (`struct ibv_context`), closed (`ibv_close_device`) when the last
/// reference goes away. Objects made from it (protection domains, queues) keep it alive.
public final class VerbsContext: @unchecked Sendable {
    // @unchecked Sendable: the pointer is immutable and libibverbs calls on a context are
    // thread-safe (rdma-core documents all verbs as thread-safe).

    /// The C handle.
    public let raw: UnsafeMutablePointer<ibv_context>
    /// The device name, e.g. "rxe0".
    public let name: String

    /// Opens `device` (`ibv_open_device`).
    init(device: UnsafeMutablePointer<ibv_device>, name: String) throws(VerbsError) {
        raw = try VerbsCall.pointer("ibv_open_device", "opening RDMA device \(name)") { ibv_open_device(device) }
        self.name = name
    }

    deinit {
        ibv_close_device(raw)
    }

    /// Device limits (`ibv_query_device`).
    public func queryDevice() throws(VerbsError) -> ibv_device_attr {
        var attributes = ibv_device_attr()
        try VerbsCall.check("ibv_query_device", "querying \(name)") { ibv_query_device(raw, &attributes) }
        return attributes
    }

    /// Port state and limits (`ibv_query_port`).
    public func queryPort(_ port: UInt8) throws(VerbsError) -> ibv_port_attr {
        var attributes = ibv_port_attr()
        try VerbsCall.check("ibv_query_port", "querying port \(port) of \(name)") { dmahost_rdma_ibv_query_port(raw, port, &attributes) }
        return attributes
    }

    /// One entry of a port's GID table (`ibv_query_gid`).
    public func queryGID(port: UInt8, index: Int32) throws(VerbsError) -> ibv_gid {
        var gid = ibv_gid()
        try VerbsCall.check("ibv_query_gid", "reading GID \(index) of \(name) port \(port)") { ibv_query_gid(raw, port, index, &gid) }
        return gid
    }

    /// Allocates a protection domain (`ibv_alloc_pd`).
    public func allocateProtectionDomain() throws(VerbsError) -> ProtectionDomain {
        let pd = try VerbsCall.pointer("ibv_alloc_pd", "allocating a protection domain on \(name)") { ibv_alloc_pd(raw) }
        return ProtectionDomain(raw: pd, context: self)
    }

    /// Creates a completion channel (`ibv_create_comp_channel`) whose descriptor is non-blocking.
    public func createCompletionChannel() throws(VerbsError) -> CompletionChannel {
        let channel = try VerbsCall.pointer("ibv_create_comp_channel", "creating a completion channel on \(name)") {
            ibv_create_comp_channel(raw)
        }
        let result = CompletionChannel(raw: channel, context: self)
        try result.makeNonBlocking()
        return result
    }

    /// Creates a completion queue of at least `entries` entries (`ibv_create_cq`), reporting
    /// events on `channel` when one is given.
    public func createCompletionQueue(entries: Int32, channel: CompletionChannel?) throws(VerbsError) -> CompletionQueue {
        let cq = try VerbsCall.pointer("ibv_create_cq", "creating a \(entries)-entry completion queue on \(name)") {
            ibv_create_cq(raw, entries, nil, channel?.raw, 0)
        }
        return CompletionQueue(raw: cq, context: self, channel: channel)
    }
}
