import CDMAHostABI
import DMABuf
import DMADriverKit
import DMAHost
import Testing
@testable import DMAEngineKit
#if canImport(Glibc)
import Glibc
#endif

/// A device of the live system opened through the driver (with the test host), its domain and
/// the domain's allocation interface. Call ``close()`` when done.
final class OpenedDomain {
    let driver: DMAEngineDriver
    let deviceID: String
    let domain: MemoryDomain
    let interface: DMABufDomainInterface

    /// Probes the live system and opens the first device `match` accepts.
    init(_ what: String, match: (DiscoveredDevice) -> Bool) throws {
        driver = DMAEngineDriver(host: try TestHost.api())
        _ = try driver.probe()
        let report = Discovery.run(.live)
        guard let device = report.devices.first(where: match) else {
            let have = report.devices.map(\.info.id).joined(separator: ", ")
            let missing = report.diagnostics.filter { !$0.ok }.map { "\($0.subject): \($0.detail)" }.joined(separator: "\n")
            throw DMAError.noDevice("no \(what) device (devices: [\(have)]); missing:\n\(missing)")
        }
        deviceID = device.info.id
        try driver.open(deviceID: deviceID)
        guard let handle = driver.domain(ofDevice: deviceID) else { throw DMAError.noDevice("\(deviceID) opened without a domain") }
        domain = MemoryDomain(handle: handle)
        interface = try DMABufDomainInterface(userContext: domain.userContext)
    }

    static func udmabuf() throws -> OpenedDomain { try OpenedDomain("udmabuf") { $0.info.id == "dmaengine:udmabuf" } }
    static func systemHeap() throws -> OpenedDomain { try OpenedDomain("system heap") { $0.info.id == "dmaengine:heap-system" } }
    static func vgem() throws -> OpenedDomain { try OpenedDomain("vgem") { $0.domainID == "dmabuf:vgem" } }

    func close() { driver.shutdown() }
}

/// A list of (address, length) pieces.
typealias Pieces = [(UnsafeMutableRawPointer, Int)]

extension MemoryDomain {
    /// push with the iovec arrays kept alive for the whole call.
    func push(into destination: Pieces, from source: Pieces) async throws(DMAError) {
        let d = IOVecs(destination), s = IOVecs(source)
        defer { withExtendedLifetime((d, s)) {} }
        try await push(into: d.list, from: s.list)
    }

    /// pull with the iovec arrays kept alive for the whole call.
    func pull(from source: Pieces, into destination: Pieces) async throws(DMAError) {
        let d = IOVecs(destination), s = IOVecs(source)
        defer { withExtendedLifetime((d, s)) {} }
        try await pull(from: s.list, into: d.list)
    }

    /// memzero with the iovec array kept alive for the whole call.
    func memzero(_ pieces: Pieces) async throws(DMAError) {
        let list = IOVecs(pieces)
        defer { withExtendedLifetime(list) {} }
        try await memzero(list.list)
    }

    /// transfer with the iovec arrays kept alive for the whole call.
    func transfer(into destination: Pieces, from sourceDomain: MemoryDomain, _ source: Pieces) async throws(DMAError) {
        let d = IOVecs(destination), s = IOVecs(source)
        defer { withExtendedLifetime((d, s)) {} }
        try await transfer(into: d.list, from: sourceDomain, s.list)
    }
}

/// An iovec array owned by the test.
final class IOVecs {
    /// The entries.
    let list: UnsafeMutableBufferPointer<iovec>

    init(_ pieces: [(UnsafeMutableRawPointer, Int)]) {
        let storage = UnsafeMutablePointer<iovec>.allocate(capacity: max(pieces.count, 1))
        for (index, piece) in pieces.enumerated() { (storage + index).initialize(to: iovec(iov_base: piece.0, iov_len: piece.1)) }
        list = UnsafeMutableBufferPointer(start: storage, count: pieces.count)
    }

    convenience init(_ base: UnsafeMutableRawPointer, _ length: Int) { self.init([(base, length)]) }

    deinit { list.baseAddress?.deallocate() }
}

/// Plain memory owned by the test.
final class LocalMemory {
    let bytes: UnsafeMutableRawBufferPointer
    init(_ count: Int, fill: UInt8? = nil) {
        bytes = .allocate(byteCount: count, alignment: 64)
        if let fill { for index in 0..<count { bytes[index] = fill } }
    }
    var base: UnsafeMutableRawPointer { bytes.baseAddress! }
    func randomize() {
        var generator = SystemRandomNumberGenerator()
        for index in 0..<bytes.count { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
    }
    deinit { bytes.deallocate() }
}

/// Splits [`base`, `base + length`) into random consecutive pieces of at most `maxPiece` bytes.
func randomPieces(_ base: UnsafeMutableRawPointer, _ length: Int, maxPiece: Int = 5000,
                  using generator: inout some RandomNumberGenerator) -> [(UnsafeMutableRawPointer, Int)] {
    var pieces: [(UnsafeMutableRawPointer, Int)] = []
    var offset = 0
    while offset < length {
        let size = Int.random(in: 1...max(1, min(maxPiece, length - offset)), using: &generator)
        pieces.append((base + offset, size))
        offset += size
    }
    return pieces
}
