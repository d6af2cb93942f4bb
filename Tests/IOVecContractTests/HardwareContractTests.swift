import DMAHost
import DriverHost
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether the hardware the …Hardware… contract suites need is here, and why not.
///
/// Inside the qemu guest of `Tests/VM/run-in-vm.sh` (`DMAHOST_IN_VM=1`) they always run, so a
/// missing device fails them instead of skipping them. Elsewhere they run when the device is
/// present and are skipped otherwise, with the reason printed once.
enum ContractHardware {
    static let inVM = getenv("DMAHOST_IN_VM") != nil

    /// An RDMA device is listed in /sys/class/infiniband (soft-RoCE rxe0 in the guest).
    static let rdma: Bool = {
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/infiniband")) ?? []
        if inVM || !devices.isEmpty { return true }
        print("RDMAHardware iovec contract suite skipped: no RDMA device (/sys/class/infiniband is empty or absent). Run it in the qemu guest: bash Tests/VM/rdma-tests.sh")
        return false
    }()

    /// /dev/udmabuf exists (the guest has it, and dma-buf heaps and vgem).
    static let dmabuf: Bool = {
        if inVM || access("/dev/udmabuf", F_OK) == 0 { return true }
        print("DMABufHardware iovec contract suite skipped: no /dev/udmabuf (CONFIG_UDMABUF). Run it in the qemu guest: bash Tests/VM/dmabuf-tests.sh")
        return false
    }()
}

/// The contract tables against every domain of every RDMA device (`rdma:<device>` and
/// `SPDK_RDMA_DMA_DEVICE`), the plugin loaded through the driver host.
@Suite("RDMAHardware: the iovec contract in every RDMA domain",
       .enabled(if: ContractHardware.rdma, "needs an RDMA device (runs in the qemu guest: Tests/VM/rdma-tests.sh)"))
struct RDMAHardwareIOVecContractTests {
    @Test("every domain of every RDMA device")
    func rdmaDomains() throws {
        let host = try BuiltPlugins.host(loading: ["rdma"])
        defer { host.shutdown() }
        let devices = host.devices.filter { $0.id.hasPrefix("rdma:") }
        try #require(!devices.isEmpty, "no RDMA device: \(host.diagnostics().flatMap(\.lines).filter { !$0.ok })")
        for device in devices {
            let domains = try host.open(deviceID: device.id)
            #expect(domains.count == 2, "\(device.id) opened \(domains.count) domains")
            for domain in domains {
                var tested = DomainUnderTest.hostMemory(domain, invalidatesRegistrations: true)
                tested.supportsMemzero = false  // RDMA has no fill: -ENOTSUP once the arguments pass
                try ContractRunner(tested).runAll()
            }
        }
    }
}

/// The contract tables against every dma-buf domain (udmabuf, dma-buf heaps, vgem), the plugin
/// loaded through the driver host; the domain side of each case points into a buffer allocated
/// through the domain.
@Suite("DMABufHardware: the iovec contract in every dma-buf domain",
       .enabled(if: ContractHardware.dmabuf, "needs /dev/udmabuf (runs in the qemu guest: Tests/VM/dmabuf-tests.sh)"))
struct DMABufHardwareIOVecContractTests {
    @Test("every dma-buf domain")
    func dmabufDomains() throws {
        let host = try BuiltPlugins.host(loading: ["dmaengine"])
        defer { host.shutdown() }
        let devices = host.devices.filter { $0.info.capabilities.contains(.translateDMABuf) }
        try #require(!devices.isEmpty, "no dma-buf device: \(host.diagnostics().flatMap(\.lines).filter { !$0.ok })")
        var tested: [String] = []
        for device in devices {
            for domain in try host.open(deviceID: device.id) where domain.id?.hasPrefix("dmabuf:") == true {
                try ContractRunner(.dmabuf(domain)).runAll()
                tested.append(domain.id ?? device.id)
            }
        }
        print("DMABufHardware iovec contract: checked \(tested.joined(separator: ", "))")
        #expect(tested.contains("dmabuf:udmabuf"), "the guest's udmabuf domain was not among \(tested)")
    }
}
