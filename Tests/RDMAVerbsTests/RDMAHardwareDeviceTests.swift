import CDMAHostABI
import DMAHost
@testable import RDMAVerbsKit
import Testing

@Suite("RDMAHardware: device discovery, domains and diagnosis", .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwareDeviceTests {
    @Test("probe reports rdma:<device> as an RDMA device with its limits")
    func probe() throws {
        let fixture = try RDMAFixture.get()
        let devices = try fixture.driver.probe()
        let device = try #require(devices.first { $0.id == fixture.deviceID })
        #expect(device.id.hasPrefix("rdma:"))
        #expect(device.type == .rdma)
        #expect(device.capabilities == [.copy, .scatterGather, .translateRDMA, .invalidate, .transfer])
        #expect((device.maxSGE ?? 0) >= 1)
        #expect((device.maxTransferSize ?? 0) >= 1 << 20)
        #expect(device.description.lowercased().contains("port 1 active"))
    }

    @Test("open creates two RDMA domains, rdma:<device> and SPDK_RDMA_DMA_DEVICE, whose user context is { size, ibv_pd }")
    func domains() throws {
        let fixture = try RDMAFixture.get()
        for domain in [fixture.domain, fixture.spdkDomain] {
            #expect(domain.type == .rdma)
            let user = try #require(domain.userContext)
            // The struct comes first; the plugin kit's ownership trailer follows it.
            #expect(user.count >= MemoryLayout<spdk_memory_domain_rdma_ctx>.size)
            let context = user.loadUnaligned(as: spdk_memory_domain_rdma_ctx.self)
            #expect(context.size == MemoryLayout<spdk_memory_domain_rdma_ctx>.size)
            #expect(context.ibv_pd == fixture.engine.protectionDomainHandle)
        }
        #expect(fixture.domain.id == fixture.deviceID && fixture.spdkDomain.id == SPDK_RDMA_DMA_DEVICE)
        #expect(fixture.engine.profile.gidIndex != nil)
    }

    @Test("diagnose passes the kernel, device-node and provider checks and describes the open device")
    func diagnose() throws {
        let fixture = try RDMAFixture.get()
        let lines = fixture.driver.diagnose()
        for line in lines { print("diagnose: [\(line.ok ? "ok" : "FAIL")] \(line.subject): \(line.detail)") }
        for subject in ["kernel module ib_uverbs", "/sys/class/infiniband", "/dev/infiniband/uverbs*", "libibverbs providers", "ibv_get_device_list"] {
            #expect(lines.first { $0.subject == subject }?.ok == true, "\(subject)")
        }
        let queuePair = try #require(lines.first { $0.subject == "\(fixture.deviceID) loopback queue pair" })
        #expect(queuePair.ok)
    }
}
