import DMAHost
import DriverHost
import Foundation
import SeededRandom
import Testing

/// A directory outside the build tree holding copies of both vendor samples (and whatever a
/// test adds), and a DriverHost that loads only that directory.
struct PluginDirectory {
    let path: String

    /// A fresh temporary directory with the samples copied in.
    static func withSamples(_ label: String = "dmahost-plugins") throws -> PluginDirectory {
        let directory = try Fixtures.temporaryDirectory(label)
        try Fixtures.copySamples(into: directory)
        return PluginDirectory(path: directory)
    }

    /// A host that loaded this directory only (no environment, no installed directory).
    func host() -> (DriverHost, [LoadOutcome]) {
        let host = DriverHost()
        let outcomes = host.load(paths: [path])
        return (host, outcomes)
    }
}

/// Checks that `deviceID` moves data correctly: opens it, pushes a random pattern from system
/// memory into a buffer of the device's domain and pulls it back into a third buffer.
func expectServes(_ host: DriverHost, _ deviceID: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let domains = try host.open(deviceID: deviceID)
    let domain = try #require(domains.first, "device \(deviceID) opened without a domain", sourceLocation: sourceLocation)
    var generator = SeededGenerator(seed: 42)
    let source = ScatterBuffer(length: 4096), device = ScatterBuffer(lengths: [1000, 3096]), back = ScatterBuffer(lengths: [7, 4089])
    source.fillRandom(using: &generator)
    try await domain.push(into: device.iov(), from: source.iov())
    try await domain.pull(from: device.iov(), into: back.iov())
    #expect(sameBytes(back, source), "round trip through \(deviceID) changed the data", sourceLocation: sourceLocation)
}

extension Array where Element == LoadOutcome {
    /// Names of the drivers loaded.
    var loadedNames: [String] {
        compactMap { if case .loaded(let driver) = $0 { driver.name } else { nil } }
    }

    /// The rejections.
    var rejections: [PluginRejection] {
        compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
    }
}
