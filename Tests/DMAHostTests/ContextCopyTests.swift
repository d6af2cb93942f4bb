import CDMAHostABI
import DMAHost
import Foundation
import Testing

/// The context given to create is copied: `min(sizeof, ctx->size)` bytes into a zeroed
/// library-owned struct whose size is that clamped value; the user context is copied only
/// when user_ctx is not NULL and ctx->size covers user_ctx_size.
@Suite("Context copying")
struct ContextCopyTests {
    private static let fullSize = MemoryLayout<spdk_memory_domain_ctx>.size
    private static let coversUserSize = MemoryLayout<spdk_memory_domain_ctx>.offset(of: \.user_ctx_size)! + MemoryLayout<Int>.size

    @Test("SPDK's RDMA pattern: the user context is an rdma ctx, copied, readable by the domain")
    func rdmaUserContext() throws {
        let rdma = UnsafeMutablePointer<spdk_memory_domain_rdma_ctx>.allocate(capacity: 1)
        defer { rdma.deallocate() }
        rdma.initialize(to: spdk_memory_domain_rdma_ctx(size: MemoryLayout<spdk_memory_domain_rdma_ctx>.size, ibv_pd: tag(7)))
        var ctx = spdk_memory_domain_ctx(size: Self.fullSize, user_ctx: UnsafeMutableRawPointer(rdma),
                                         user_ctx_size: MemoryLayout<spdk_memory_domain_rdma_ctx>.size)
        var domain: CDomain?
        let id = uniqueID()
        #expect(id.withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, $0) } == 0)
        let created = try #require(domain)
        defer { spdk_memory_domain_destroy(created) }

        let copy = try #require(spdk_memory_domain_get_context(created))
        withUnsafeMutablePointer(to: &ctx) { #expect(copy != $0) }
        #expect(spdk_memory_domain_get_context(created) == copy)
        #expect(copy.pointee.size == Self.fullSize)
        #expect(copy.pointee.user_ctx == ctx.user_ctx) // a byte copy keeps the caller's pointer
        #expect(copy.pointee.user_ctx_size == 16)

        var size = 0
        let user = try #require(spdk_memory_domain_get_user_context(created, &size))
        #expect(size == 16)
        #expect(user != UnsafeMutableRawPointer(rdma))
        let copied = user.assumingMemoryBound(to: spdk_memory_domain_rdma_ctx.self)
        #expect(copied.pointee.ibv_pd == tag(7))
        #expect(copied.pointee.size == 16)

        // Changing the caller's structs does not change the copies.
        rdma.pointee.ibv_pd = tag(8)
        ctx.size = 1
        ctx.user_ctx_size = 1
        #expect(copied.pointee.ibv_pd == tag(7))
        #expect(copy.pointee.size == Self.fullSize)
        #expect(copy.pointee.user_ctx_size == 16)
        #expect(spdk_memory_domain_get_user_context(created, &size) == user)
    }

    @Test("exactly min(sizeof, ctx->size) bytes are copied", arguments: 1...40)
    func clampedCopy(size: Int) throws {
        let userBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        defer { userBytes.deallocate() }
        for i in 0..<32 { userBytes[i] = UInt8(truncatingIfNeeded: size * 7 + i) }
        // The caller's struct sits in a larger buffer so that sizes beyond sizeof stay readable.
        let given = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { given.deallocate() }
        given.initializeMemory(as: UInt8.self, repeating: 0xA5, count: 64)
        let ctx = given.bindMemory(to: spdk_memory_domain_ctx.self, capacity: 1)
        ctx.pointee.size = size
        ctx.pointee.user_ctx = userBytes.baseAddress
        // When user_ctx_size is only partly covered, high bits make a partial copy visible.
        ctx.pointee.user_ctx_size = size >= Self.coversUserSize ? 32 : (0x77 << 32) | 32

        let clamped = min(size, Self.fullSize)
        var expected = spdk_memory_domain_ctx()
        withUnsafeMutableBytes(of: &expected) { $0.copyMemory(from: UnsafeRawBufferPointer(start: given, count: clamped)) }
        expected.size = clamped

        var domain: CDomain?
        let id = uniqueID()
        #expect(id.withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_ACCEL, ctx, $0) } == 0)
        let created = try #require(domain)
        defer { spdk_memory_domain_destroy(created) }
        let copy = try #require(spdk_memory_domain_get_context(created))
        #expect(copy != ctx)
        #expect(copy.pointee.size == expected.size)
        #expect(copy.pointee.user_ctx == expected.user_ctx)
        #expect(copy.pointee.user_ctx_size == expected.user_ctx_size)

        var userSize = 4242
        let user = spdk_memory_domain_get_user_context(created, &userSize)
        if size >= Self.coversUserSize {
            let copied = try #require(user)
            #expect(copied != userBytes.baseAddress)
            #expect(userSize == 32)
            #expect(memcmp(copied, userBytes.baseAddress!, 32) == 0)
        } else {
            #expect(user == nil)
            #expect(userSize == 4242)
        }
    }

    @Test("user_ctx NULL means no user context, whatever user_ctx_size says")
    func nullUserContext() throws {
        var ctx = spdk_memory_domain_ctx(size: Self.fullSize, user_ctx: nil, user_ctx_size: 100)
        var domain: CDomain?
        #expect(uniqueID().withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, &ctx, $0) } == 0)
        let created = try #require(domain)
        defer { spdk_memory_domain_destroy(created) }
        var size = 31
        #expect(spdk_memory_domain_get_user_context(created, &size) == nil)
        #expect(size == 31)
        #expect(spdk_memory_domain_get_context(created)?.pointee.user_ctx_size == 100)
        #expect(MemoryDomain(handle: OpaquePointer(created)).userContext == nil)
    }

    @Test("user_ctx set with user_ctx_size 0 means no user context: NULL, *ctx_size untouched (as in SPDK)")
    func zeroSizeUserContext() throws {
        var byte: UInt8 = 0x5A
        var domain: CDomain?
        let rc = withUnsafeMutablePointer(to: &byte) { user in
            var ctx = spdk_memory_domain_ctx(size: Self.fullSize, user_ctx: UnsafeMutableRawPointer(user), user_ctx_size: 0)
            return uniqueID().withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_DMA, &ctx, $0) }
        }
        #expect(rc == 0)
        let created = try #require(domain)
        defer { spdk_memory_domain_destroy(created) }
        var size = 77
        #expect(spdk_memory_domain_get_user_context(created, &size) == nil)
        #expect(size == 77)
        #expect(spdk_memory_domain_get_context(created)?.pointee.user_ctx_size == 0)
        #expect(MemoryDomain(handle: OpaquePointer(created)).userContext == nil)
    }

    @Test("Swift create with an empty user context buffer gives a domain without user context")
    func swiftEmptyUserContext() throws {
        var byte: UInt8 = 0
        let domain = try withUnsafeMutablePointer(to: &byte) { pointer in
            try MemoryDomain.create(type: .dma, id: uniqueID(), userContext: UnsafeRawBufferPointer(start: pointer, count: 0))
        }
        defer { domain.destroy() }
        #expect(domain.userContext == nil)
        var size = 5
        #expect(spdk_memory_domain_get_user_context(domain.c, &size) == nil)
        #expect(size == 5)
    }

    @Test("no ctx: get_context and get_user_context are NULL")
    func noContext() throws {
        let domain = try #require(cCreate(id: uniqueID()))
        defer { spdk_memory_domain_destroy(domain) }
        #expect(spdk_memory_domain_get_context(domain) == nil)
        var size = 8
        #expect(spdk_memory_domain_get_user_context(domain, &size) == nil)
        #expect(size == 8)
    }

    @Test("Swift create copies the user context and the id")
    func swiftCreateCopies() throws {
        let id = uniqueID()
        var bytes: [UInt8] = Array(0..<200)
        let domain = try bytes.withUnsafeBytes { try MemoryDomain.create(type: .rdma, id: id, userContext: $0) }
        defer { domain.destroy() }
        bytes[0] = 0xFF
        let copy = try #require(domain.userContext)
        #expect(copy.count == 200)
        #expect(Array(copy) == Array(0..<200))
        #expect(domain.id == id)
        #expect(domain.type == .rdma)
        #expect(!domain.isSystem)
        #expect(MemoryDomain.first(id: id) == domain)
        let context = try #require(spdk_memory_domain_get_context(domain.c))
        #expect(context.pointee.size == Self.fullSize)
        #expect(context.pointee.user_ctx_size == 200)
    }

    @Test("Swift create with a user context too large to allocate throws outOfMemory")
    func swiftCreateOutOfMemory() {
        let id = uniqueID()
        var byte: UInt8 = 0
        withUnsafeMutablePointer(to: &byte) { pointer in
            // Never read: allocation of the copy fails first.
            let huge = UnsafeRawBufferPointer(start: pointer, count: Int.max / 2)
            do throws(DMAError) {
                _ = try MemoryDomain.create(type: .dma, id: id, userContext: huge)
                Issue.record("create with a \(Int.max / 2)-byte user context succeeded")
            } catch {
                #expect(error.errno == ENOMEM)
                guard case .outOfMemory = error else { Issue.record("expected outOfMemory, got \(error)"); return }
            }
        }
        #expect(MemoryDomain.first(id: id) == nil)
    }
}
