import DMAHost
import DriverHost
import Testing

@Suite("Device selection")
struct DeviceSelectorTests {
    static let ids = ["cpu:0", "cpu:1", "cpu:2", "rdma:rxe0", "rdma:mlx5_0", "dmaengine:udmabuf", "vendor-c:0", "vendor-swift:0"]
    static let drivers = ["cpu", "rdma", "dmaengine", "vendor-c", "vendor-swift"]
    static let vendor: Set<String> = ["vendor-c:0", "vendor-swift:0"]

    func select(_ text: String) throws(DMAError) -> [String] {
        try DeviceSelector(text).select(from: Self.ids, driverNames: Self.drivers, vendorIDs: Self.vendor)
    }

    @Test("Exact id")
    func exact() throws {
        #expect(try select("rdma:rxe0") == ["rdma:rxe0"])
    }

    @Test("Driver prefix, with and without colon")
    func driverPrefix() throws {
        #expect(try select("cpu:") == ["cpu:0", "cpu:1", "cpu:2"])
        #expect(try select("rdma") == ["rdma:rxe0", "rdma:mlx5_0"])
        #expect(try select("dmaengine:") == ["dmaengine:udmabuf"])
    }

    @Test("vendor: selects every vendor-type device")
    func vendorClass() throws {
        #expect(try select("vendor:") == ["vendor-c:0", "vendor-swift:0"])
    }

    @Test("Globs use fnmatch")
    func globs() throws {
        #expect(try select("cpu:*") == ["cpu:0", "cpu:1", "cpu:2"])
        #expect(try select("*:0") == ["cpu:0", "vendor-c:0", "vendor-swift:0"])
        #expect(try select("cpu:[12]") == ["cpu:1", "cpu:2"])
        #expect(try select("rdma:?xe0") == ["rdma:rxe0"])
    }

    @Test("Exclusions and comma lists apply left to right; results keep device order")
    func exclusions() throws {
        #expect(try select("cpu:*,^cpu:1") == ["cpu:0", "cpu:2"])
        #expect(try select("^cpu:*") == ["rdma:rxe0", "rdma:mlx5_0", "dmaengine:udmabuf", "vendor-c:0", "vendor-swift:0"])
        #expect(try select("cpu:*,^cpu:1,cpu:1") == ["cpu:0", "cpu:1", "cpu:2"])
        #expect(try select("vendor-swift:0, cpu:2") == ["cpu:2", "vendor-swift:0"])
        #expect(try select("cpu:0,cpu:0") == ["cpu:0"])
    }

    @Test("An unknown id names the closest ids")
    func didYouMean() {
        #expect(throws: DMAError.noDevice("no device 'cpu:3'; did you mean 'cpu:0', 'cpu:1', 'cpu:2'?")) { try select("cpu:3") }
        #expect(throws: DMAError.noDevice("no device 'rdma:rxe1'; did you mean 'rdma:rxe0'?")) { try select("rdma:rxe1") }
        #expect(throws: DMAError.noDevice("no device 'vendr-c:0'; did you mean 'vendor-c:0'?")) { try select("vendr-c:0") }
        #expect(throws: DMAError.self) { try select("cpu:*,^cpu:7") }
    }

    @Test("An id far from every device lists the devices instead")
    func noCloseMatch() throws {
        do {
            _ = try select("quantum:entangler")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("no device 'quantum:entangler'; devices: cpu:0, cpu:1"))
        }
    }

    @Test("Empty items, empty results and unknown drivers are errors")
    func errors() {
        #expect(throws: DMAError.self) { try select("cpu:0,,cpu:1") }
        #expect(throws: DMAError.self) { try select("") }
        #expect(throws: DMAError.self) { try select("^") }
        #expect(throws: DMAError.self) { try select("nvme:*") }
        #expect(throws: DMAError.self) { try select("cpu:*,^cpu:*") }
        do {
            _ = try select("accel:")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("no driver 'accel' is loaded (loaded: cpu, rdma, dmaengine, vendor-c, vendor-swift)"))
        }
    }

    @Test("Excluding a driver or glob that matches nothing is not an error")
    func harmlessExclusion() throws {
        #expect(try select("cpu:*,^nvme:,^x*") == ["cpu:0", "cpu:1", "cpu:2"])
    }

    @Test("Edit distance")
    func editDistance() {
        #expect(EditDistance.levenshtein("", "abc") == 3)
        #expect(EditDistance.levenshtein("kitten", "sitting") == 3)
        #expect(EditDistance.levenshtein("cpu:0", "cpu:0") == 0)
        #expect(EditDistance.levenshtein("rdma:rxe0", "rdma:rex0") == 2)
        #expect(DeviceSelector.suggestions(for: "cpu:9", among: Self.ids) == ["cpu:0", "cpu:1", "cpu:2"])
        #expect(DeviceSelector.suggestions(for: "cpu:9", among: Self.ids, limit: 1) == ["cpu:0"])
    }

    @Test("No devices at all")
    func noDevices() {
        #expect(throws: DMAError.noDevice("no device 'cpu:0': no devices are available; `dmactl doctor` says why")) {
            try DeviceSelector("cpu:0").select(from: [], driverNames: [])
        }
    }
}
