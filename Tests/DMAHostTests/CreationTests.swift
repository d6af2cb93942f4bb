import CDMAHostABI
import DMAHost
import Foundation
import Testing

/// spdk_memory_domain_create through the C ABI: argument errors, allocation failure,
/// device types stored as given, the id copy, duplicate and missing ids, destroy.
@Suite("Creation")
struct CreationTests {
    private static var sentinel: CDomain { CDomain(bitPattern: 0xDEAD_BEE0)! }

    @Test("create(NULL, ...) is -EINVAL")
    func nullOutParameter() {
        let id = uniqueID()
        #expect(id.withCString { spdk_memory_domain_create(nil, SPDK_DMA_DEVICE_TYPE_DMA, nil, $0) } == -EINVAL)
        #expect(cFirst(id: id) == nil)
    }

    @Test("ctx->size == 0 is -EINVAL and leaves *domain untouched")
    func zeroSizeContext() {
        let id = uniqueID()
        let user = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
        defer { user.deallocate() }
        var ctx = spdk_memory_domain_ctx(size: 0, user_ctx: user, user_ctx_size: 8)
        var domain: CDomain? = Self.sentinel
        #expect(id.withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, $0) } == -EINVAL)
        #expect(domain == Self.sentinel)
        #expect(cFirst(id: id) == nil)
    }

    @Test("a user context too large to allocate is -ENOMEM and leaves nothing behind",
          arguments: [Int.max / 2, Int.max, Int(bitPattern: UInt(Int.max) + 1)])
    func hugeUserContext(size: Int) {
        let id = uniqueID()
        // Never read: allocating the copy fails first.
        let user = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { user.deallocate() }
        var ctx = spdk_memory_domain_ctx(size: MemoryLayout<spdk_memory_domain_ctx>.size, user_ctx: user, user_ctx_size: size)
        var domain: CDomain? = Self.sentinel
        #expect(id.withCString { spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, &ctx, $0) } == -ENOMEM)
        #expect(domain == Self.sentinel)
        #expect(cFirst(id: id) == nil)
    }

    @Test("the device type is stored as given",
          arguments: [0, 1, 2, 3, 999, 1000, 1001, 1500, 1999, 2000, UInt32(Int32.max), UInt32.max])
    func typeStoredAsGiven(raw: UInt32) throws {
        let domain = try #require(cCreate(spdk_dma_device_type(rawValue: raw), id: uniqueID()))
        defer { spdk_memory_domain_destroy(domain) }
        #expect(spdk_memory_domain_get_dma_device_type(domain).rawValue == raw)
        #expect(MemoryDomain(handle: OpaquePointer(domain)).type.rawValue == Int32(bitPattern: raw))
    }

    @Test("the id is copied, never the caller's pointer")
    func idCopied() throws {
        let id = uniqueID()
        var bytes = Array(id.utf8CString)
        var domain: CDomain?
        #expect(spdk_memory_domain_create(&domain, SPDK_DMA_DEVICE_TYPE_RDMA, nil, &bytes) == 0)
        let created = try #require(domain)
        defer { spdk_memory_domain_destroy(created) }
        bytes.withUnsafeBufferPointer { #expect(UnsafeRawPointer(spdk_memory_domain_get_dma_device_id(created)) != UnsafeRawPointer($0.baseAddress)) }
        bytes[0] = CChar(UInt8(ascii: "#"))
        #expect(cID(created) == id)
        #expect(cFirst(id: id) == created)
        #expect(spdk_memory_domain_get_dma_device_id(created) == spdk_memory_domain_get_dma_device_id(created))
    }

    @Test("a NULL id is allowed and reads back as NULL")
    func nullID() throws {
        let domain = try #require(cCreate(SPDK_DMA_DEVICE_TYPE_ACCEL, id: nil))
        defer { spdk_memory_domain_destroy(domain) }
        #expect(spdk_memory_domain_get_dma_device_id(domain) == nil)
        #expect(spdk_memory_domain_get_dma_device_type(domain) == SPDK_DMA_DEVICE_TYPE_ACCEL)
        #expect(spdk_memory_domain_get_context(domain) == nil)
        var size = 5
        #expect(spdk_memory_domain_get_user_context(domain, &size) == nil)
        #expect(size == 5)
        #expect(MemoryDomain(handle: OpaquePointer(domain)).id == nil)
    }

    @Test("duplicate ids are allowed; both domains exist in creation order")
    func duplicateIDs() throws {
        let id = uniqueID()
        let first = try #require(cCreate(SPDK_DMA_DEVICE_TYPE_RDMA, id: id))
        let second = try #require(cCreate(SPDK_DMA_DEVICE_TYPE_DMA, id: id))
        defer {
            spdk_memory_domain_destroy(second)
            spdk_memory_domain_destroy(first)
        }
        #expect(first != second)
        #expect(cWalk(id: id) == [first, second])
        #expect(spdk_memory_domain_get_dma_device_id(first) != spdk_memory_domain_get_dma_device_id(second))
    }

    @Test("an empty id is an id: it matches \"\" only")
    func emptyID() throws {
        let domain = try #require(cCreate(id: ""))
        defer { spdk_memory_domain_destroy(domain) }
        #expect(cID(domain) == "")
        #expect(cWalk(id: "").contains(domain))
    }

    @Test("every creation returns a new domain")
    func distinctHandles() throws {
        let id = uniqueID()
        var domains: [CDomain] = []
        for _ in 0..<32 { domains.append(try #require(cCreate(id: id))) }
        #expect(Set(domains).count == 32)
        #expect(!domains.contains(spdk_memory_domain_get_system_domain()))
        #expect(cWalk(id: id) == domains)
        for domain in domains { spdk_memory_domain_destroy(domain) }
        #expect(cWalk(id: id).isEmpty)
    }

    @Test("destroy(NULL) does nothing; destroy unlinks the domain")
    func destroy() throws {
        spdk_memory_domain_destroy(nil)
        let id = uniqueID()
        let a = try #require(cCreate(id: id))
        let b = try #require(cCreate(id: id))
        let c = try #require(cCreate(id: id))
        spdk_memory_domain_destroy(b)
        #expect(cWalk(id: id) == [a, c])
        spdk_memory_domain_destroy(a)
        #expect(cWalk(id: id) == [c])
        spdk_memory_domain_destroy(c)
        #expect(cWalk(id: id).isEmpty)
        #expect(spdk_memory_domain_get_first(nil) == spdk_memory_domain_get_system_domain())
    }
}
