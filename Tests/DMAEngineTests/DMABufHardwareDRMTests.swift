import CDMAHostABI
import DMABuf
import DMADriverKit
import DMAHost
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// The vgem PRIME domain ("dmabuf:vgem") and the dma-buf heap domain. Needs vgem (modprobe
/// vgem) and the system heap: the test guest has both.
@Suite(.enabled(if: Hardware.vgem && Hardware.systemHeap && Hardware.root,
                "needs vgem (/dev/dri/card0, modprobe vgem) and /dev/dma_heap/system, and root: run Tests/VM/dmabuf-tests.sh"))
struct DMABufHardwareDRMTests {
    @Test func vgemPrimeBufferRoundTripsByteExact() async throws {
        let opened = try OpenedDomain.vgem()
        defer { opened.close() }
        #expect(opened.domain.id == "dmabuf:vgem" && opened.domain.type == .dma)
        #expect(opened.interface.source == DMAHOST_DMABUF_SOURCE_DRM)
        let buffer = try opened.interface.allocate(length: 100_000)
        #expect(buffer.gemHandle != nil && buffer.memfd == nil && buffer.length >= 100_000)
        var generator = SystemRandomNumberGenerator()
        let data = LocalMemory(buffer.length)
        data.randomize()
        try await opened.domain.push(into: randomPieces(buffer.address, buffer.length, using: &generator),
                                     from: randomPieces(data.base, buffer.length, using: &generator))
        let back = LocalMemory(buffer.length, fill: 0)
        try await opened.domain.pull(from: randomPieces(buffer.address, buffer.length, using: &generator),
                                     into: randomPieces(back.base, buffer.length, using: &generator))
        #expect(Array(back.bytes) == Array(data.bytes))
        try await opened.domain.memzero([(buffer.address, buffer.length)])
        try await opened.domain.pull(from: [(buffer.address, buffer.length)], into: [(back.base, buffer.length)])
        #expect(back.bytes.allSatisfy { $0 == 0 })

        // The exported dma-buf is the same memory: a second mapping of its fd sees the data.
        let again = try DMABuffer(file: DMABufFile.importing(fd: buffer.fd))
        try await opened.domain.push(into: [(buffer.address, 4096)], from: [(data.base, 4096)])
        try again.beginAccess(.read)
        let seen = Array(again.mapping.bytes.prefix(4096))
        try again.endAccess(.read)
        #expect(seen == Array(data.bytes.prefix(4096)))
        #expect(again.file.exporter == "drm", "DRM PRIME exports are named \"drm\" in fdinfo")
    }

    @Test func importingIntoVGEMGivesAGEMHandleSharedPerObject() async throws {
        let opened = try OpenedDomain.vgem()
        defer { opened.close() }
        let heap = try DMAHeap(name: "system")
        let file = try heap.allocate(length: 8192)
        let first = try opened.interface.importBuffer(fd: file.fd)
        let second = try opened.interface.importBuffer(fd: file.fd)
        let firstHandle = try #require(first.gemHandle)
        #expect(second.gemHandle == firstHandle, "drmPrimeFDToHandle returns one handle per object")
        let data = LocalMemory(8192)
        data.randomize()
        try await opened.domain.push(into: [(first.address, 8192)], from: [(data.base, 8192)])
        let back = LocalMemory(8192, fill: 0)
        try await opened.domain.pull(from: [(second.address, 8192)], into: [(back.base, 8192)])
        #expect(Array(back.bytes) == Array(data.bytes))
        // Releasing one keeps the handle for the other (reference-counted), then both go.
        try opened.interface.release(first.address)
        try await opened.domain.pull(from: [(second.address, 8192)], into: [(back.base, 8192)])
        try opened.interface.release(second.address)
    }

    @Test func systemHeapDomainRoundTrips() async throws {
        let opened = try OpenedDomain.systemHeap()
        defer { opened.close() }
        #expect(opened.domain.id == "dmabuf:heap-system" && opened.interface.source == DMAHOST_DMABUF_SOURCE_HEAP)
        let buffer = try opened.interface.allocate(length: 70_000)
        #expect(buffer.length == Int(PageSize.roundUp(70_000) ?? 0) && buffer.memfd == nil && buffer.gemHandle == nil)
        let data = LocalMemory(buffer.length)
        data.randomize()
        try await opened.domain.push(into: [(buffer.address, buffer.length)], from: [(data.base, buffer.length)])
        let back = LocalMemory(buffer.length, fill: 0)
        try await opened.domain.pull(from: [(buffer.address, buffer.length)], into: [(back.base, buffer.length)])
        #expect(Array(back.bytes) == Array(data.bytes))
    }
}

/// What discovery sees on a machine with udmabuf, the system heap and vgem (the test guest).
@Suite(.enabled(if: Hardware.inVM, "runs in the test guest only (Tests/VM/dmabuf-tests.sh), where udmabuf, the system heap and vgem exist"))
struct DMABufHardwareDiscoveryTests {
    @Test func probeListsEverySourceWithItsDomain() throws {
        let report = Discovery.run(.live)
        let byID = Dictionary(uniqueKeysWithValues: report.devices.map { ($0.info.id, $0) })
        #expect(byID["dmaengine:udmabuf"]?.domainID == "dmabuf:udmabuf")
        #expect(byID["dmaengine:heap-system"]?.domainID == "dmabuf:heap-system")
        let vgem = try #require(report.devices.first { $0.domainID == "dmabuf:vgem" })
        guard case .drm(let info) = vgem.source else { Issue.record("vgem is not a DRM device"); return }
        #expect(info.prime.contains(.import) && info.prime.contains(.export) && info.canAllocate)
        #expect(info.renderPath?.hasPrefix("/dev/dri/renderD") == true)
        #expect(report.diagnostics.contains { $0.ok && $0.subject == "/dev/udmabuf" && $0.detail.contains("size_limit_mb") })
        for line in report.diagnostics { print("\(line.ok ? "ok" : "--") \(line.subject): \(line.detail)") }
    }
}
