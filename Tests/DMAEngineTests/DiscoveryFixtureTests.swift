import DMABuf
import DMADriverKit
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// Discovery against fixture sysfs/dev trees (the roots are injectable), so every branch is
/// checked without the hardware: channels, PCI engines via libpci, heaps, udmabuf, DSA queues.
@Suite struct DiscoveryFixtureTests {
    /// A machine with an IOAT channel, a DSA device with two queues, udmabuf and two heaps.
    static func populated() throws -> Fixture {
        let f = try Fixture()
        let ioat = "sys/devices/pci0000:00/0000:00:04.0"
        try f.write("\(ioat)/vendor", "0x8086\n")
        try f.write("\(ioat)/device", "0x2021\n")
        try f.write("\(ioat)/class", "0x088000\n")
        try f.write("\(ioat)/numa_node", "1\n")
        try f.directory("sys/bus/pci/drivers/ioatdma")
        try f.link("\(ioat)/driver", to: "../../../bus/pci/drivers/ioatdma")
        try f.write("\(ioat)/dma/dma0chan0/in_use", "1\n")
        try f.write("\(ioat)/dma/dma0chan0/memcpy_count", "42\n")
        try f.write("\(ioat)/dma/dma0chan0/bytes_transferred", "4096\n")
        try f.link("\(ioat)/dma/dma0chan0/device", to: "../../../0000:00:04.0")
        try f.write("\(ioat)/dma/dma0chan1/in_use", "0\n")
        try f.link("\(ioat)/dma/dma0chan1/device", to: "../../../0000:00:04.0")
        try f.link("sys/class/dma/dma0chan0", to: "../../devices/pci0000:00/0000:00:04.0/dma/dma0chan0")
        try f.link("sys/class/dma/dma0chan1", to: "../../devices/pci0000:00/0000:00:04.0/dma/dma0chan1")
        try f.link("sys/bus/pci/devices/0000:00:04.0", to: "../../../devices/pci0000:00/0000:00:04.0")

        let net = "sys/devices/pci0000:00/0000:00:03.0"
        try f.write("\(net)/vendor", "0x1af4\n")
        try f.write("\(net)/device", "0x1041\n")
        try f.write("\(net)/class", "0x020000\n")
        try f.link("sys/bus/pci/devices/0000:00:03.0", to: "../../../devices/pci0000:00/0000:00:03.0")

        let dsa = "sys/devices/pci0000:6a/0000:6a:01.0"
        try f.write("\(dsa)/vendor", "0x8086\n")
        try f.write("\(dsa)/device", "0x0b25\n")
        try f.write("\(dsa)/class", "0x088000\n")
        try f.write("\(dsa)/numa_node", "0\n")
        try f.directory("sys/bus/pci/drivers/idxd")
        try f.link("\(dsa)/driver", to: "../../../bus/pci/drivers/idxd")
        try f.link("sys/bus/pci/devices/0000:6a:01.0", to: "../../../devices/pci0000:6a/0000:6a:01.0")
        let queues: [(String, [String: String])] = [
            ("wq0.0", ["mode": "dedicated", "type": "user", "state": "enabled", "size": "16", "max_transfer_size": "2097152", "max_batch_size": "32", "block_on_fault": "0"]),
            ("wq0.1", ["mode": "shared", "type": "kernel", "state": "enabled", "size": "32"]),
        ]
        for (name, attributes) in queues {
            for (key, value) in attributes { try f.write("\(dsa)/dsa0/\(name)/\(key)", value + "\n") }
            try f.link("sys/bus/dsa/devices/\(name)", to: "../../../devices/pci0000:6a/0000:6a:01.0/dsa0/\(name)")
        }
        try f.write("sys/module/udmabuf/parameters/list_limit", "1024\n")
        try f.write("sys/module/udmabuf/parameters/size_limit_mb", "64\n")
        try f.write("dev/udmabuf", "")
        try f.write("dev/dma_heap/system", "")
        try f.write("dev/dma_heap/linux,cma", "")
        return f
    }

    @Test func channelsAreParsedWithDeviceDriverAndUse() throws {
        let f = try Self.populated()
        let channels = try #require(DMAChannelScanner.scan(sysfs: "\(f.root)/sys"))
        #expect(channels.map(\.name) == ["dma0chan0", "dma0chan1"])
        #expect(channels[0] == DMAChannelInfo(name: "dma0chan0", device: "0000:00:04.0", driver: "ioatdma", inUse: true, memcpyCount: 42, bytesTransferred: 4096))
        #expect(channels[1].inUse == false && channels[1].driver == "ioatdma" && channels[1].memcpyCount == nil)
        #expect(DMAChannelScanner.scan(sysfs: "\(f.root)/nothing") == nil)
    }

    @Test func pciEnginesComeFromLibPCIWithDriverAndNUMANode() throws {
        let f = try Self.populated()
        let functions = try PCIEngineScanner.functions(sysfsPath: "\(f.root)/sys/bus/pci")
        #expect(Set(functions.map(\.slot)) == ["0000:00:03.0", "0000:00:04.0", "0000:6a:01.0"])
        let (engines, count) = try PCIEngineScanner.scan(sysfsPath: "\(f.root)/sys/bus/pci")
        #expect(count == 3)
        #expect(engines.map(\.slot) == ["0000:00:04.0", "0000:6a:01.0"])
        #expect(engines[0].ids == "8086:2021" && engines[0].classCode == 0x0880 && engines[0].driver == "ioatdma" && engines[0].numaNode == 1)
        #expect(engines[0].vendorName.contains("Intel"), "names come from pci.ids for engines: \(engines[0].vendorName)")
        #expect(functions.first { $0.slot == "0000:00:03.0" }?.vendorName == "1af4", "no database lookup without names")
        #expect(engines[1].ids == "8086:0b25" && engines[1].driver == "idxd" && engines[1].numaNode == 0 && engines[1].reason.contains("DSA"))
    }

    @Test func libpciErrorsAreReportedNotFatal() {
        #expect(throws: DMAError.self) { try PCIEngineScanner.functions(sysfsPath: "/nonexistent/bus/pci") }
    }

    @Test func classification() {
        func function(_ vendor: UInt16, _ device: UInt16, _ cls: UInt16, driver: String? = nil) -> PCIFunction {
            PCIFunction(slot: "0000:00:00.0", vendorID: vendor, deviceID: device, classCode: cls, driver: driver)
        }
        #expect(PCIEngineScanner.classify(function(0x1234, 0x1, 0x0801)) != nil, "DMA controller class")
        #expect(PCIEngineScanner.classify(function(0x1234, 0x1, 0x1200)) != nil, "processing accelerator class")
        #expect(PCIEngineScanner.classify(function(0x1234, 0x1, 0x0880)) == nil, "other system peripheral alone does not count")
        #expect(PCIEngineScanner.classify(function(0x1234, 0x1, 0x0880, driver: "ptdma")) != nil, "known driver")
        #expect(PCIEngineScanner.classify(function(0x8086, 0x0cfe, 0x0880)) != nil, "known IAX id")
        #expect(PCIEngineScanner.classify(function(0x1af4, 0x1041, 0x0200, driver: "virtio-pci")) == nil)
    }

    @Test func workQueuesAreParsedAndJudged() throws {
        let f = try Self.populated()
        let queues = try #require(IDXDScanner.scan(.fixture(root: f.root)))
        #expect(queues.map(\.name) == ["wq0.0", "wq0.1"])
        let wq = queues[0]
        #expect(wq.device == "dsa0" && wq.isDSA && !wq.isShared && wq.size == 16 && wq.maxTransferSize == 2_097_152 && wq.maxBatchSize == 32 && wq.blockOnFault == false)
        #expect(wq.unusableReason?.contains("missing") == true, "no /dev/dsa node in the fixture")
        #expect(queues[1].unusableReason?.contains("not user") == true)
        #expect(IDXDScanner.scan(.fixture(root: "\(f.root)/none")) == nil)
    }

    @Test func reportListsUsableDevicesAndExplainsTheRest() throws {
        let f = try Self.populated()
        let report = Discovery.run(.fixture(root: f.root), cpu: CPUFeatures(movdir64b: false, enqcmd: false))
        #expect(report.devices.map(\.info.id) == ["dmaengine:udmabuf", "dmaengine:heap-linux,cma", "dmaengine:heap-system"])
        #expect(report.devices.map(\.domainID) == ["dmabuf:udmabuf", "dmabuf:heap-linux,cma", "dmabuf:heap-system"])
        #expect(report.devices.allSatisfy { $0.info.type == .dma && $0.info.capabilities.contains(.translateDMABuf) })
        #expect(report.devices[0].info.maxTransferSize == 64 << 20)
        let text = report.diagnostics.map { "\($0.ok ? "ok" : "--") \($0.subject): \($0.detail)" }.joined(separator: "\n")
        #expect(text.contains("dmaengine dma0chan0: dma0chan0, device 0000:00:04.0, driver ioatdma, in use"))
        #expect(text.contains("kernel-only"))
        #expect(text.contains("PCI 0000:6a:01.0: 0000:6a:01.0 [8086:0b25] class 0880"))
        #expect(text.contains("NUMA node 0"))
        #expect(text.contains("-- DRM devices: no DRM devices") && text.contains("modprobe vgem"))
        #expect(text.contains("-- idxd wq0.0") && text.contains("-- idxd wq0.1"))
        #expect(text.contains("MOVDIR64B no"))
        #expect(report.channels.count == 2 && report.pciEngines.count == 2)
    }

    @Test func emptyMachineSaysWhatIsMissing() throws {
        let f = try Fixture()
        try f.directory("sys/bus/pci/devices")
        let report = Discovery.run(.fixture(root: f.root), cpu: CPUFeatures(movdir64b: false, enqcmd: false))
        #expect(report.devices.isEmpty)
        let failed = report.diagnostics.filter { !$0.ok }.map(\.detail).joined(separator: "\n")
        #expect(failed.contains("CONFIG_UDMABUF not enabled"))
        #expect(failed.contains("CONFIG_DMABUF_HEAPS not enabled"))
        #expect(failed.contains("modprobe vgem"))
        #expect(failed.contains("no dmaengine channels"))
        #expect(failed.contains("none among 0 PCI functions"))
        #expect(failed.contains("CONFIG_INTEL_IDXD"))
    }

    @Test func usableDedicatedQueueBecomesADeviceWhenTheCPUCanSubmit() throws {
        let f = try Self.populated()
        try f.directory("dev/dsa")
        guard mknod("\(f.root)/dev/dsa/wq0.0", S_IFCHR | 0o600, dev_t((1 << 8) | 3)) == 0 else {
            print("skipped part of usableDedicatedQueueBecomesADevice: mknod needs root (errno \(errno))")
            return
        }
        let withCPU = Discovery.run(.fixture(root: f.root), cpu: CPUFeatures(movdir64b: true, enqcmd: false))
        let device = try #require(withCPU.devices.first { $0.info.id == "dmaengine:wq0.0" })
        #expect(device.domainID == "dmaengine:wq0.0" && device.info.maxTransferSize == 2_097_152)
        #expect(device.info.description.contains("MOVDIR64B"))
        let withoutCPU = Discovery.run(.fixture(root: f.root), cpu: CPUFeatures(movdir64b: false, enqcmd: true))
        #expect(!withoutCPU.devices.contains { $0.info.id == "dmaengine:wq0.0" })
        #expect(withoutCPU.diagnostics.contains { $0.detail.contains("needs MOVDIR64B") })
    }

    @Test func naturalOrder() {
        #expect(["dma0chan10", "dma0chan2", "dma1chan0"].sorted(by: SystemFiles.naturalOrder) == ["dma0chan2", "dma0chan10", "dma1chan0"])
        #expect(["wq0.10", "wq0.2"].sorted(by: SystemFiles.naturalOrder) == ["wq0.2", "wq0.10"])
    }
}
