import DMABuf
import DMADriverKit
import DMAHost
import DriverHost
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// dma-buf → RDMA: a transfer into the RDMA backend's domain (soft-RoCE rxe0 in the guest) from
/// a udmabuf domain. rxe cannot register dma-bufs (ibv_reg_dmabuf_mr: EOPNOTSUPP), so the RDMA
/// backend registers the dma-buf's CPU mapping, which this backend's translate provides.
/// Needs the RDMA plugin built next to this binary and the test guest.
@Suite(.enabled(if: Hardware.inVM && BuiltPlugin.path("rdma") != nil,
                "needs the RDMA plugin (libdmahost-rdma.so) and the test guest's rxe0: run Tests/VM/dmabuf-tests.sh"))
struct DMABufHardwareRDMATests {
    @Test func dmabufToRDMATransferWorksViaTheFallback() async throws {
        let paths = try [#require(BuiltPlugin.path("dmaengine")), #require(BuiltPlugin.path("rdma"))]
        let host = DriverHost()
        KeptForProcessLifetime.keep(host)
        defer { host.closeAll() }
        _ = host.load(paths: paths)
        #expect(host.rejections.isEmpty, "\(host.rejections)")
        let udmabuf = try #require(try host.open("dmaengine:udmabuf").first { $0.id == "dmabuf:udmabuf" })
        let rdmaDevice = try #require(host.devices.first { $0.id.hasPrefix("rdma:") }, "no RDMA device: \(host.devices.map(\.id))")
        let rdma = try #require(try host.open(deviceID: rdmaDevice.id).first { $0.id == rdmaDevice.id })

        let interface = try DMABufDomainInterface(userContext: udmabuf.userContext)
        let length = 256 * 1024
        let buffer = try interface.allocate(length: length)
        let data = LocalMemory(length)
        data.randomize()
        try await udmabuf.push(into: [(buffer.address, length)], from: [(data.base, length)])

        // Destination: host memory, which is what addresses in an RDMA domain are.
        var generator = SystemRandomNumberGenerator()
        let destination = LocalMemory(length, fill: 0)
        try await rdma.transfer(into: randomPieces(destination.base, length, maxPiece: 70_000, using: &generator), from: udmabuf,
                                randomPieces(buffer.address, length, maxPiece: 50_000, using: &generator))
        #expect(Array(destination.bytes) == Array(data.bytes))
        let lines = host.diagnostics().first { $0.driverName == rdmaDevice.driverName }?.lines ?? []
        for line in lines where line.subject.lowercased().contains("dma-buf") || line.detail.lowercased().contains("dma-buf") {
            print("rdma diagnose: \(line.ok ? "ok" : "--") \(line.subject): \(line.detail)")
        }
    }
}
