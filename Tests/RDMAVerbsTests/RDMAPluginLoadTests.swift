import DMAHost
import DriverHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Path of `libdmahost-rdma.so` in the build directory of this test binary, or nil.
func builtRDMAPlugin() -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    var directory = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    while let slash = directory.lastIndex(of: "/"), slash != directory.startIndex {
        directory = String(directory[..<slash])
        let candidate = "\(directory)/libdmahost-rdma.so"
        if access(candidate, R_OK) == 0 { return candidate }
    }
    return nil
}

/// Loads the built plugin through the real loader (dlopen, ABI checks, probe).
func loadRDMAPlugin() throws -> DriverHost {
    let path = try #require(builtRDMAPlugin(), "libdmahost-rdma.so is not next to the test binary: build with `swift build --build-tests`")
    let host = DriverHost()
    _ = host.load(paths: [path])
    #expect(host.rejections.isEmpty, "\(host.rejections)")
    _ = try #require(host.driver(named: "rdma"))
    return host
}

@Suite("RDMA plugin through the driver host: loads anywhere, explains a missing device")
struct RDMAPluginLoadTests {
    @Test("libdmahost-rdma.so loads; without a device it reports none and diagnose says why, with one it lists rdma:<device>")
    func loadsAndDiagnoses() throws {
        let host = try loadRDMAPlugin()
        defer { host.shutdown() }
        let devices = host.devices.filter { $0.driverName == "rdma" }
        let lines = try #require(host.diagnostics().first { $0.driverName == "rdma" }).lines
        for line in lines { print("rdma diagnose: [\(line.ok ? "ok" : "--")] \(line.subject): \(line.detail)") }
        let listing = try #require(lines.first { $0.subject == "ibv_get_device_list" })
        if RDMAHardware.skipReason != nil {
            #expect(devices.isEmpty)
            #expect(!listing.ok && listing.detail.contains("zero RDMA devices"))
            let classDirectory = try #require(lines.first { $0.subject == "/sys/class/infiniband" })
            #expect(!classDirectory.ok && classDirectory.detail.contains("rdma link add"), "a failed check says what to do")
        } else {
            #expect(devices.contains { $0.id.hasPrefix("rdma:") && $0.info.type == .rdma })
            #expect(listing.ok)
        }
    }
}

@Suite("RDMAHardware: the plugin end to end through the driver host", .enabled(if: RDMAHardware.available, "needs an RDMA device (runs in the qemu guest)"))
struct RDMAHardwarePluginTests {
    @Test("open rdma:<device> through the loader, push and pull through its domain, close")
    func endToEnd() async throws {
        let host = try loadRDMAPlugin()
        defer { host.shutdown() }
        let device = try #require(host.devices.first { $0.id.hasPrefix("rdma:") })
        let domains = try host.open(deviceID: device.id)
        #expect(Set(domains.compactMap(\.id)) == [device.id, "SPDK_RDMA_DMA_DEVICE"])
        let domain = try #require(domains.first { $0.id == device.id })
        var random = SplitMix64(seed: 404)
        let local = HostBuffer(count: 1 << 20, invalidatingIn: nil)
        let remote = HostBuffer(count: 1 << 20, invalidatingIn: nil)
        let back = HostBuffer(count: 1 << 20, invalidatingIn: nil)
        local.fillRandom(&random)
        try await withIOV([remote.entry()]) { dst in try await withIOV([local.entry()]) { src in try await domain.push(into: dst, from: src) } }
        try await withIOV([remote.entry()]) { src in try await withIOV([back.entry()]) { dst in try await domain.pull(from: src, into: dst) } }
        #expect(memcmp(local.base, back.base, local.count) == 0)
        // The buffers go away with this test: drop their registrations first.
        try withIOV([local.entry(), remote.entry(), back.entry()]) { try domain.invalidate($0) }
        try host.close(deviceID: device.id)
        #expect(host.domains(of: device.id).isEmpty)
    }
}
