import CDMAHostABI
import DMABuf
import DMAHost
import DriverHost
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Memory the lists of a case point into; released when the object goes.
final class Region {
    /// Size of every region: room for the cases' entries (the largest ends at byte 221).
    static let size = 8192

    let base: UnsafeMutableRawPointer
    let count: Int
    private let release: (UnsafeMutableRawPointer) -> Void

    init(base: UnsafeMutableRawPointer, count: Int, release: @escaping (UnsafeMutableRawPointer) -> Void) {
        self.base = base
        self.count = count
        self.release = release
    }

    /// Page-aligned host memory.
    static func host() throws -> Region {
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 4096, size) == 0, let pointer else { throw ContractTestFailure("cannot allocate \(size) bytes") }
        return Region(base: pointer, count: size) { free($0) }
    }

    deinit { release(base) }

    var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    func fill(_ value: UInt8) { memset(base, Int32(value), count) }

    /// Fills with a pattern that differs from byte to byte (and from a uniform sentinel fill).
    func fillPattern(seed: UInt8) {
        for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ Int(seed)) }
    }

    /// True when every byte equals `value`.
    func isFilled(with value: UInt8) -> Bool { bytes.allSatisfy { $0 == value } }

    /// The bytes in `range`.
    func slice(_ range: Range<Int>) -> [UInt8] { Array(bytes[range]) }
}

/// A domain whose callbacks the contract tests call through the C ABI, and how to get memory
/// its side of an operation may point into.
struct DomainUnderTest: CustomStringConvertible {
    /// Domain id, for messages.
    let name: String
    /// `struct spdk_memory_domain *`.
    let handle: OpaquePointer
    /// The system domain answers valid requests with -ENOTSUP.
    let isSystem: Bool
    /// Registers memory it is given (RDMA): invalidate regions before they are freed.
    let invalidatesRegistrations: Bool
    /// Zeroes memory; a domain that cannot answers valid memzero requests with -ENOTSUP (after
    /// the same checks).
    var supportsMemzero = true
    /// Memory for the domain side (a dma-buf domain's own buffers; host memory otherwise).
    let allocateRegion: () throws -> Region

    var description: String { name }

    /// The system domain.
    static var system: DomainUnderTest {
        DomainUnderTest(name: "system", handle: systemHandle, isSystem: true,
                        invalidatesRegistrations: false, allocateRegion: Region.host)
    }

    /// A domain whose address space is host virtual memory (cpu, vendor samples, rdma).
    static func hostMemory(_ domain: MemoryDomain, invalidatesRegistrations: Bool = false) -> DomainUnderTest {
        DomainUnderTest(name: domain.id ?? "\(domain)", handle: domain.handle, isSystem: false,
                        invalidatesRegistrations: invalidatesRegistrations, allocateRegion: Region.host)
    }

    /// A dma-buf domain: its side points into a buffer allocated through its allocation
    /// interface (`dmahost/dmabuf.h`), released before the domain closes.
    static func dmabuf(_ domain: MemoryDomain) throws -> DomainUnderTest {
        let interface = try DMABufDomainInterface(userContext: domain.userContext)
        return DomainUnderTest(name: domain.id ?? "\(domain)", handle: domain.handle, isSystem: false, invalidatesRegistrations: false) {
            let buffer = try interface.allocate(length: Region.size)
            return Region(base: buffer.address, count: Region.size) { address in
                do throws(DMAError) {
                    try interface.release(address)
                } catch {
                    Issue.record("release of a dma-buf test buffer: \(error)")
                }
            }
        }
    }

    /// Drops what the domain registered for `region` (RDMA's registration cache does not watch
    /// free/munmap), before the region is freed.
    func forget(_ region: Region) {
        guard invalidatesRegistrations else { return }
        var entry = iovec(iov_base: region.base, iov_len: region.count)
        spdk_memory_domain_invalidate_data(cDomain(handle), nil, &entry, 1)
    }
}

// Whether the C declarations take `struct spdk_memory_domain *` as a typed pointer or as an
// OpaquePointer depends on whether the importer has seen the core's private record layout;
// these overloads accept both (as the driver host's table does).

/// A handle as the C declarations take it.
func cDomain<Record>(_ handle: OpaquePointer) -> UnsafeMutablePointer<Record> { UnsafeMutablePointer<Record>(handle) }
/// Identity, for when the declarations take an OpaquePointer.
func cDomain(_ handle: OpaquePointer) -> OpaquePointer { handle }
/// A C result as a handle.
func handle<Record>(_ record: UnsafeMutablePointer<Record>?) -> OpaquePointer? { record.map(OpaquePointer.init) }
/// Identity, for when the declarations return an OpaquePointer.
func handle(_ record: OpaquePointer?) -> OpaquePointer? { record }

/// The system domain's handle.
var systemHandle: OpaquePointer {
    guard let system = handle(spdk_memory_domain_get_system_domain()) else { preconditionFailure("the system domain exists from load time") }
    return system
}

/// A failure to set a test up.
struct ContractTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The plugins built next to this test binary, loaded through the driver host.
enum BuiltPlugins {
    /// The build directory (`.build/debug`): where the test binary and every `libdmahost-*.so` are.
    static let directory = DriverSearch.installedPluginDirectories().first ?? "."

    /// A driver host that loaded `libdmahost-<name>.so` for each name; every one must load.
    static func host(loading names: [String]) throws -> DriverHost {
        let paths = names.map { "\(directory)/libdmahost-\($0).so" }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ContractTestFailure("\(path) is missing: build the products first (swift build --build-tests)")
        }
        let host = DriverHost()
        for outcome in host.load(paths: paths) {
            if case .rejected(let rejection) = outcome { throw ContractTestFailure("plugin rejected: \(rejection)") }
        }
        return host
    }

    /// Opens `deviceID` and returns its one domain.
    static func openOne(_ host: DriverHost, _ deviceID: String) throws -> MemoryDomain {
        let domains = try host.open(deviceID: deviceID)
        guard domains.count == 1, let domain = domains.first else { throw ContractTestFailure("\(deviceID) opened \(domains.count) domains") }
        return domain
    }
}
