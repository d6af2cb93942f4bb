import DMAHost
import DriverHost
import Testing

/// Every domain a host without special hardware has — the system domain and the domains of the
/// CPU backend and both vendor samples, loaded through the driver host — answers each case of the
/// contract tables (`ContractCases.swift`: every bad list on each side, length mismatches, a
/// missing completion, the order of the checks; pull, push, transfer, memzero, translate) with the
/// errno `dmahost/iovec.h` documents, through the C ABI, without calling the completion and
/// without changing a byte; and moves exactly the bytes of the valid case.
@Suite("The iovec contract in every domain of this host")
struct DomainContractTests {
    @Test("system domain")
    func systemDomain() throws {
        try ContractRunner(.system).runAll()
    }

    @Test("the CPU backend and the vendor samples, through the driver host",
          arguments: [("cpu", "cpu:0"), ("vendor-c", "vendor-c:0"), ("vendor-swift", "vendor-swift:0")])
    func pluginDomain(plugin: String, deviceID: String) throws {
        let host = try BuiltPlugins.host(loading: [plugin])
        defer { host.shutdown() }
        let domain = try BuiltPlugins.openOne(host, deviceID)
        try ContractRunner(.hostMemory(domain)).runAll()
    }
}
