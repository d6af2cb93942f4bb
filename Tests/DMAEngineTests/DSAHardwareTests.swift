import DMADriverKit
import DMAHost
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// Whether this machine has an Intel DSA user work queue the CPU can submit to.
enum DSAHardware {
    static let queue: DiscoveredDevice? = Discovery.run(.live).devices.first { if case .dsa = $0.source { true } else { false } }
}

/// A real copy, fill and scatter-gather copy through an Intel DSA work queue. No machine this
/// project is built or tested on has one (nor does the qemu guest): the descriptor encoding is
/// unit-tested against linux/idxd.h (DSAEncodingTests), and this suite is skipped with the reason.
@Suite(.enabled(if: DSAHardware.queue != nil,
                "no Intel DSA user work queue (/dev/dsa/wqX.Y, idxd) usable here: the DSA submission path is compiled and its encoding unit-tested, not run"))
struct DSAHardwareTests {
    @Test func copyFillAndScatterGatherThroughTheQueue() async throws {
        let device = try #require(DSAHardware.queue)
        let driver = DMAEngineDriver(host: try TestHost.api())
        defer { driver.shutdown() }
        _ = try driver.probe()
        try driver.open(deviceID: device.info.id)
        let domain = MemoryDomain(handle: try #require(driver.domain(ofDevice: device.info.id)))
        let length = 3 * 1024 * 1024 + 123
        let source = LocalMemory(length)
        source.randomize()
        let destination = LocalMemory(length, fill: 0)
        var generator = SystemRandomNumberGenerator()
        try await domain.push(into: randomPieces(destination.base, length, maxPiece: 300_000, using: &generator),
                              from: randomPieces(source.base, length, maxPiece: 200_000, using: &generator))
        #expect(Array(destination.bytes) == Array(source.bytes))
        try await domain.memzero([(destination.base + 10, 5000)])
        #expect(destination.bytes[10..<5010].allSatisfy { $0 == 0 } && destination.bytes[5010] == source.bytes[5010])
    }
}
