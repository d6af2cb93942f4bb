import CDMAHostABI
import DMADriverKit
import DMAHost
@testable import RDMAVerbsKit
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether the RDMAHardware… suites can run here, and why not.
///
/// They need an RDMA device (soft-RoCE `rxe0` in the qemu guest: `Tests/VM/rdma-tests.sh`).
/// Outside the guest, without a device, they are skipped and the reason is printed. Inside the
/// guest (`DMAHOST_IN_VM=1`) they always run, so a missing device fails them instead of
/// silently skipping.
enum RDMAHardware {
    /// nil when the suites can run; otherwise the reason they are skipped.
    static let skipReason: String? = {
        if getenv("DMAHOST_IN_VM") != nil { return nil }
        do throws(VerbsError) {
            let names = try VerbsDeviceList.names()
            if !names.isEmpty { return nil }
            return "no RDMA device (ibv_get_device_list returned none; /sys/class/infiniband is \(SystemFiles.entries("/sys/class/infiniband")?.joined(separator: ",") ?? "absent")). Run them in the qemu guest: bash Tests/VM/rdma-tests.sh"
        } catch {
            return "no RDMA support in this kernel (\(error)). Run them in the qemu guest: bash Tests/VM/rdma-tests.sh"
        }
    }()

    /// For `.enabled(if:)`: true when the suites can run; prints the reason once when not.
    static let available: Bool = {
        if let skipReason { print("RDMAHardware suites skipped: \(skipReason)") }
        return skipReason == nil
    }()
}

/// The device opened once for all hardware tests of the process, through the plugin's driver
/// and the test host table (its domains are in the core registry, like under the real host).
final class RDMAFixture: Sendable {
    let driver: RDMAVerbsDriver
    let deviceID: String
    /// The domain with id `rdma:<device>`.
    let domain: MemoryDomain
    /// The domain with id `SPDK_RDMA_DMA_DEVICE`.
    let spdkDomain: MemoryDomain
    let engine: RDMAEngine

    private static let shared: Result<RDMAFixture, any Error> = Result { try RDMAFixture() }

    /// The shared fixture (opened on first use, never closed). Tests that provoke errors use
    /// ``makePrivate()`` instead: an error flushes every request in flight on a queue pair,
    /// which would cancel the operations of tests running in parallel.
    static func get() throws -> RDMAFixture { try shared.get() }

    /// A fixture with its own driver instance: its own context, protection domain, queue
    /// pairs and domains on the same device. Call ``close()`` at the end.
    static func makePrivate(_ configuration: EngineConfiguration = EngineConfiguration()) throws -> RDMAFixture {
        try RDMAFixture(configuration)
    }

    private init(_ configuration: EngineConfiguration = EngineConfiguration()) throws {
        driver = RDMAVerbsDriver(host: try TestHost.api(), configuration: configuration)
        let devices = try driver.probe()
        let device = try #require(devices.first, "probe found no RDMA device: \(driver.diagnose().filter { !$0.ok })")
        deviceID = device.id
        try driver.open(deviceID: deviceID)
        let domains = driver.domains(for: deviceID)
        try #require(domains.count == 2)
        domain = MemoryDomain(handle: domains[0])
        spdkDomain = MemoryDomain(handle: domains[1])
        engine = try #require(driver.engine(for: deviceID))
    }

    /// Closes the device (drains, destroys the domains).
    func close() { driver.shutdown() }
}

/// Page-aligned host memory for tests. Before it is freed, its registrations are invalidated
/// in `engine`, as an SPDK program would: the memory monitor would drop them anyway, but an
/// engine whose monitor is disabled relies on it (Plugins/RDMAVerbs/README.md). The engine,
/// not a domain, because a private fixture's domains are destroyed when it closes.
final class HostBuffer: @unchecked Sendable {
    // @unchecked Sendable: the bytes are written by tests and the device, in the order the
    // tests await.
    let base: UnsafeMutableRawPointer
    let count: Int
    private let engine: RDMAEngine?

    init(count: Int, invalidatingIn engine: RDMAEngine?, alignment: Int = 4096) {
        var pointer: UnsafeMutableRawPointer?
        precondition(posix_memalign(&pointer, alignment, max(count, 1)) == 0 && pointer != nil, "test buffer allocation failed")
        base = pointer.unsafelyUnwrapped
        self.count = count
        self.engine = engine
        memset(base, 0, max(count, 1))
    }

    deinit {
        engine?.invalidate(address: base, length: max(count, 1))
        free(base)
    }

    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    func fillRandom(_ random: inout SplitMix64) {
        var offset = 0
        while offset < count {
            var value = random.next()
            let chunk = min(8, count - offset)
            memcpy(base + offset, &value, chunk)
            offset += chunk
        }
    }

    func entry(offset: Int = 0, length: Int? = nil) -> Glibc.iovec {
        Glibc.iovec(iov_base: base + offset, iov_len: length ?? count - offset)
    }

    /// Bytes of several iovecs, concatenated.
    static func concatenated(_ entries: [Glibc.iovec]) -> [UInt8] {
        entries.flatMap { entry in
            Array(UnsafeRawBufferPointer(start: entry.iov_base, count: entry.iov_len))
        }
    }
}

/// Runs `body` with a mutable C copy of an iovec array.
func withIOV<R>(_ entries: [iovec], _ body: (UnsafeMutableBufferPointer<iovec>) async throws -> R) async rethrows -> R {
    let buffer = UnsafeMutableBufferPointer<iovec>.allocate(capacity: max(entries.count, 1))
    defer { buffer.deallocate() }
    _ = buffer.initialize(from: entries)
    return try await body(UnsafeMutableBufferPointer(rebasing: buffer[0..<entries.count]))
}
