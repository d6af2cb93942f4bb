import CDMAHostABI
import DMABuf
import DMADriverKit
import DMAHost
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// The driver against a fixture tree and this binary's registry: probe, open (domain created
/// with its id, type and user context), errors, close (domain gone).
@Suite struct DriverLifecycleTests {
    @Test func probeOpenCloseCreatesAndDestroysTheDomain() throws {
        let fixture = try DiscoveryFixtureTests.populated()
        let driver = DMAEngineDriver(host: try TestHost.api(), paths: .fixture(root: fixture.root), cpu: CPUFeatures(movdir64b: false, enqcmd: false))
        #expect(driver.name == "dmaengine" && driver.deviceTypes == [.dma])
        let devices = try driver.probe()
        #expect(devices.map(\.id).contains("dmaengine:heap-system"))
        #expect(devices.allSatisfy { $0.id.hasPrefix("dmaengine:") })

        try driver.open(deviceID: "dmaengine:udmabuf")
        let handle = try #require(driver.domain(ofDevice: "dmaengine:udmabuf"))
        let domain = MemoryDomain(handle: handle)
        #expect(domain.id == "dmabuf:udmabuf" && domain.type == .dma)
        #expect(MemoryDomain.all(id: "dmabuf:udmabuf").contains(domain))
        let interface = try DMABufDomainInterface(userContext: domain.userContext)
        #expect(interface.source == DMAHOST_DMABUF_SOURCE_UDMABUF)
        // The fixture's /dev/udmabuf is a plain file: allocation reaches the ioctl and fails clearly.
        do throws(DMAError) {
            _ = try interface.allocate(length: 4096)
            Issue.record("allocation from a fake /dev/udmabuf succeeded")
        } catch {
            #expect(error.message.contains("allocate 4096 bytes"))
        }
        #expect(throws: DMAError.self) { try driver.open(deviceID: "dmaengine:udmabuf") }

        driver.close(deviceID: "dmaengine:udmabuf")
        #expect(driver.domain(ofDevice: "dmaengine:udmabuf") == nil)
        #expect(!MemoryDomain.all(id: "dmabuf:udmabuf").contains(domain))
        driver.shutdown()
    }

    @Test func unknownDeviceIsRefusedWithTheReason() throws {
        let fixture = try Fixture()
        let driver = DMAEngineDriver(host: try TestHost.api(), paths: .fixture(root: fixture.root), cpu: CPUFeatures(movdir64b: false, enqcmd: false))
        #expect(try driver.probe().isEmpty)
        do throws(DMAError) {
            try driver.open(deviceID: "dmaengine:udmabuf")
            Issue.record("opened a device probe did not report")
        } catch {
            #expect(error.errno == ENODEV && error.message.contains("last probe"))
        }
        #expect(driver.diagnose().contains { !$0.ok && $0.detail.contains("CONFIG_UDMABUF") })
    }

    @Test func operationsOnAddressesOutsideTheDomainFailSynchronously() async throws {
        let fixture = try DiscoveryFixtureTests.populated()
        let driver = DMAEngineDriver(host: try TestHost.api(), paths: .fixture(root: fixture.root), cpu: CPUFeatures(movdir64b: false, enqcmd: false))
        _ = try driver.probe()
        try driver.open(deviceID: "dmaengine:heap-system")
        defer { driver.shutdown() }
        let domain = MemoryDomain(handle: try #require(driver.domain(ofDevice: "dmaengine:heap-system")))
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        let source = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 1)
        let destination = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 1)
        defer { raw.deallocate(); source.deallocate(); destination.deallocate() }
        let base = try #require(raw.baseAddress)
        source[0] = iovec(iov_base: base, iov_len: 64)
        destination[0] = iovec(iov_base: base, iov_len: 64)
        do throws(DMAError) {
            try await domain.pull(from: source, into: destination)
            Issue.record("pull from an address the domain does not own succeeded")
        } catch {
            #expect(error.errno == EFAULT)
        }
        do throws(DMAError) {
            _ = try domain.translate(base, length: 64, to: MemoryDomain.system)
            Issue.record("translate of a foreign address succeeded")
        } catch {
            #expect(error.errno == EFAULT)
        }
        #expect(TestHost.messages.withLock { $0.contains { $0.contains("is not inside any buffer of domain dmabuf:heap-system") } })
    }
}
