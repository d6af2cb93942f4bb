import CDMAHostABI
// Only for the name of `struct spdk_memory_domain`, the C handle's type here; no field is read.
import CDMAHostRegistry
import DMAHost
import DriverHost
import Foundation
import Synchronization
import Testing

/// Counts the completions of the C calls below (none is expected: every call is refused).
private let completions = Atomic<Int>(0)
private let countingCompletion: spdk_memory_domain_data_cpl_cb = { _, _ in completions.add(1, ordering: .relaxed) }

/// A device of the plugin opened through the host C API (`dmahost/host.h`).
private final class CHostDevice {
    private var host: OpaquePointer?
    let domain: UnsafeMutablePointer<spdk_memory_domain>

    init(peer: String, device: String) throws {
        try UCXExports.load().add(peer: peer)
        var created: OpaquePointer?
        try #require(dmahost_host_create(&created) == 0)
        host = created
        let loaded = dmahost_load_path(created, UCXTestSupport.pluginPath)
        try #require(loaded >= 0, "dmahost_load_path: \(loaded)")
        var domains = [UnsafeMutablePointer<spdk_memory_domain>?](repeating: nil, count: 1)
        var count: UInt32 = 0
        var reason = [CChar](repeating: 0, count: 512)
        let rc = dmahost_open(created, device, &domains, 1, &count, &reason, reason.count)
        try #require(rc == 0, "dmahost_open \(device): \(rc) \(text(reason))")
        guard let opened = domains[0] else { throw TestFailure("dmahost_open \(device) returned no domain") }
        domain = opened
    }

    deinit { dmahost_host_destroy(host) }
}

@Suite("UCX: the argument contract, the region's bounds and its access (host C API)",
       .enabled(if: UCXTestSupport.available, "needs libucp.so.0 (UCX) and the built plugin"))
struct UCXContractTests {
    @Test("every remote entry outside [base, base+length) is refused with -EFAULT before anything is sent; bad lists get the contract's errno")
    func outOfRange() throws {
        let server = try InProcessServer(size: 1 << 20)
        let device = try CHostDevice(peer: server.address, device: server.deviceID)
        let local = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 64)
        defer { local.deallocate() }
        let base = try #require(UnsafeMutableRawPointer(bitPattern: UInt(server.base)))
        let end = base + Int(server.bytes)
        let before = completions.load(ordering: .relaxed)

        var near = iovec(iov_base: local, iov_len: 4096)
        for (start, what) in [(base - 4096, "below the region"), (end - 4095, "across its end"), (end, "past its end")] {
            var far = iovec(iov_base: start, iov_len: 4096)
            #expect(spdk_memory_domain_pull_data(device.domain, nil, &far, 1, &near, 1, countingCompletion, nil) == -EFAULT, "pull \(what)")
            #expect(spdk_memory_domain_push_data(device.domain, nil, &far, 1, &near, 1, countingCompletion, nil) == -EFAULT, "push \(what)")
            #expect(spdk_memory_domain_memzero(device.domain, nil, &far, 1, countingCompletion, nil) == -EFAULT, "memzero \(what)")
        }
        // The first and last bytes of the region are inside; an empty entry anywhere is ignored.
        var edges = [iovec(iov_base: base, iov_len: 1), iovec(iov_base: base - 64, iov_len: 0), iovec(iov_base: end - 1, iov_len: 1)]
        var two = iovec(iov_base: local, iov_len: 2)
        #expect(spdk_memory_domain_pull_data(device.domain, nil, &edges, 3, &two, 1, nil, nil) == -EINVAL, "no completion callback")
        var mismatched = iovec(iov_base: local, iov_len: 3)
        #expect(spdk_memory_domain_pull_data(device.domain, nil, &edges, 3, &mismatched, 1, countingCompletion, nil) == -EINVAL,
                "source and destination totals differ")
        var wrapping = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt.max - 10), iov_len: 4096)
        #expect(spdk_memory_domain_push_data(device.domain, nil, &wrapping, 1, &near, 1, countingCompletion, nil) == -EFAULT)
        #expect(completions.load(ordering: .relaxed) == before, "a refused call never completes")
    }

    @Test("a read-only region: push, memzero and transfer into it get -EACCES; pull works; the context says read-only")
    func readOnly() async throws {
        let server = try InProcessServer(size: 1 << 20, readOnly: true)
        let host = try ucxHost(peer: server.address)
        defer { host.closeAll() }
        let domain = try #require(try host.open(deviceID: server.deviceID).first)
        let context = try remoteContext(domain)
        #expect(context.pointee.flags & DMAHOST_REMOTE_READ_ONLY.rawValue != 0)
        let remote = UnsafeMutableRawBufferPointer(start: try remoteAlloc(context, 4096), count: 4096)
        remote.initializeMemory(as: UInt8.self, repeating: 0x42)  // the server's process writes its own memory
        let local = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 64)
        defer { local.deallocate() }

        do {
            try await domain.push(into: remote, from: UnsafeRawBufferPointer(local))
            Issue.record("push into a read-only region succeeded")
        } catch {
            #expect(error.errno == EACCES, "\(error.message)")
        }
        do {
            try await domain.memzero(remote)
            Issue.record("memzero of a read-only region succeeded")
        } catch {
            #expect(error.errno == EACCES)
        }
        do {
            try await domain.transfer(into: remote, from: .system, UnsafeRawBufferPointer(local))
            Issue.record("transfer into a read-only region succeeded")
        } catch {
            #expect(error.errno == EACCES)
        }
        try await domain.pull(from: UnsafeRawBufferPointer(remote), into: local)
        #expect(local.allSatisfy { $0 == 0x42 })
        #expect(remote.allSatisfy { $0 == 0x42 }, "the refused writes left the region alone")
    }
}
