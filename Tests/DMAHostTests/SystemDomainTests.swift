import CDMAHostABI
import Foundation
import DMAHost
import Testing

/// The system domain: present from load time, first, type DMA, id "system", one stable
/// pointer, operations -ENOTSUP (after the argument checks every domain runs), and destroy refused.
@Suite("System domain")
struct SystemDomainTests {
    @Test("exists, is first and always the same pointer")
    func existsAndIsFirst() {
        let system = spdk_memory_domain_get_system_domain()
        #expect(system != nil)
        #expect(spdk_memory_domain_get_first(nil) == system)
        #expect(spdk_memory_domain_get_system_domain() == system)
        #expect(MemoryDomain.system.c == system)
        #expect(MemoryDomain.system.isSystem)
        #expect(MemoryDomain.all().first == MemoryDomain.system)
    }

    @Test("has type DMA, id \"system\" and no context")
    func attributes() {
        let system = spdk_memory_domain_get_system_domain()
        #expect(spdk_memory_domain_get_dma_device_type(system) == SPDK_DMA_DEVICE_TYPE_DMA)
        #expect(cID(system) == "system")
        #expect(cFirst(id: "system") == system)
        #expect(spdk_memory_domain_get_context(system) == nil)
        var size = 99
        #expect(spdk_memory_domain_get_user_context(system, &size) == nil)
        #expect(size == 99)
        #expect(MemoryDomain.system.type == .dma)
        #expect(MemoryDomain.system.id == "system")
        #expect(MemoryDomain.system.userContext == nil)
    }

    @Test("valid operations return -ENOTSUP, even after trying to set callbacks; bad arguments get the errno of dmahost/iovec.h")
    func operationsNotSupported() throws {
        let system = spdk_memory_domain_get_system_domain()
        let other = try #require(cCreate(id: uniqueID()))
        defer { spdk_memory_domain_destroy(other) }
        let io = IOBuffers()
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        let never: spdk_memory_domain_data_cpl_cb = { _, _ in Issue.record("the system domain called a completion") }
        for attempt in 0..<2 {
            #expect(spdk_memory_domain_pull_data(system, nil, io.iovs.baseAddress, 1, io.iovs.baseAddress, 1, never, nil) == -ENOTSUP,
                    "attempt \(attempt)")
            #expect(spdk_memory_domain_push_data(system, nil, io.iovs.baseAddress, 1, io.iovs.baseAddress, 1, never, nil) == -ENOTSUP)
            #expect(spdk_memory_domain_transfer_data(system, nil, io.iovs.baseAddress, 1, other, nil, io.iovs.baseAddress, 1,
                                                     nil, never, nil) == -ENOTSUP)
            #expect(spdk_memory_domain_translate_data(system, nil, other, nil, io.bytes.baseAddress, 1, &result) == -ENOTSUP)
            #expect(spdk_memory_domain_memzero(system, nil, io.iovs.baseAddress, 1, never, nil) == -ENOTSUP)
            spdk_memory_domain_invalidate_data(system, nil, io.iovs.baseAddress, 1)
            // Bad arguments are answered as every domain answers them (the full table is in the
            // iovec contract tests): no completion, a NULL array, a NULL base, a zero length.
            #expect(spdk_memory_domain_pull_data(system, nil, io.iovs.baseAddress, 1, io.iovs.baseAddress, 1, nil, nil) == -EINVAL)
            #expect(spdk_memory_domain_push_data(system, nil, nil, 1, io.iovs.baseAddress, 1, never, nil) == -EINVAL)
            var nullBase = iovec(iov_base: nil, iov_len: 64)
            #expect(spdk_memory_domain_memzero(system, nil, &nullBase, 1, never, nil) == -EFAULT)
            #expect(spdk_memory_domain_translate_data(system, nil, other, nil, io.bytes.baseAddress, 0, &result) == -EINVAL)
            // For the second round, try to give the system domain callbacks: refused.
            Recorder.setAll(system, .a)
        }
        #expect(Recorder.strayCalls(for: system) == 0)
    }

    @Test("Swift API operations on the system domain throw notSupported")
    func swiftOperationsNotSupported() async throws {
        let io = IOBuffers()
        let operations: [(String, () async throws(DMAError) -> Void)] = [
            ("pull", { () async throws(DMAError) in try await MemoryDomain.system.pull(from: io.buffer, into: io.buffer) }),
            ("push", { () async throws(DMAError) in try await MemoryDomain.system.push(into: io.buffer, from: io.buffer) }),
            ("transfer", { () async throws(DMAError) in
                try await MemoryDomain.system.transfer(into: io.buffer, from: MemoryDomain.system, io.buffer) }),
            ("memzero", { () async throws(DMAError) in try await MemoryDomain.system.memzero(io.buffer) }),
            ("translate", { () async throws(DMAError) in
                _ = try MemoryDomain.system.translate(io.bytes.baseAddress!, length: 1, to: MemoryDomain.system) }),
        ]
        for (name, operation) in operations {
            do {
                try await operation()
                Issue.record("\(name) on the system domain succeeded")
            } catch {
                #expect(error.errno == ENOTSUP, "\(name)")
                #expect(error == .notSupported(error.message), "\(name)")
            }
        }
        try MemoryDomain.system.invalidate(io.buffer)
    }

    @Test("destroy is refused and the domain stays usable")
    func destroyRefused() {
        let system = spdk_memory_domain_get_system_domain()
        spdk_memory_domain_destroy(system)
        MemoryDomain.system.destroy()
        #expect(spdk_memory_domain_get_system_domain() == system)
        #expect(spdk_memory_domain_get_first(nil) == system)
        #expect(cID(system) == "system")
        #expect(spdk_memory_domain_get_dma_device_type(system) == SPDK_DMA_DEVICE_TYPE_DMA)
        #expect(cFirst(id: "system") == system)
    }
}
