import CDMAHostABI
import DMAHost
import DriverHost
import Foundation
import ProcessTestSupport
import Testing

/// Where the tests find the UCX plugin and dmactl, and whether UCX is usable here.
enum UCXTestSupport {
    /// Where SwiftPM put the test binary, libDMAHost.so, the plugins and dmactl.
    static let buildDirectory: String = DriverSearch.installedPluginDirectories().first ?? "."
    static let pluginPath = buildDirectory + "/libdmahost-ucx.so"
    static let dmactlPath = buildDirectory + "/dmactl"

    /// nil when the suites can run; otherwise why they are skipped: the plugin's own diagnosis
    /// of libucp and its UCX context. (libucp is loaded by the plugin only: the plugin prepares
    /// the process first, turning UCX's memory hooks off.)
    static let skipReason: String? = {
        guard FileManager.default.fileExists(atPath: pluginPath) else {
            return "\(pluginPath) is missing: build the products first (swift build)"
        }
        let host = DriverHost()
        for outcome in host.load(paths: [pluginPath]) {
            if case .rejected(let rejection) = outcome { return "the UCX plugin was rejected: \(rejection)" }
        }
        guard let driver = host.driver(named: "ucx") else { return "the UCX plugin did not load" }
        let failed = driver.diagnose().first { ["libucp", "context"].contains($0.subject) && !$0.ok }
        return failed.map { "\($0.subject): \($0.detail)" }
    }()

    /// For `.enabled(if:)`: true when the suites can run; prints the reason once when not.
    static let available: Bool = {
        if let skipReason { print("UCX suites skipped: \(skipReason)") }
        return skipReason == nil
    }()
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The functions `libdmahost-ucx.so` exports besides its entry (`dmahost_ucx.h`), found with dlsym.
struct UCXExports {
    typealias Start = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UInt64, UInt32,
                                      UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
    typealias Describe = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int) -> Int32
    typealias Stop = @convention(c) (OpaquePointer?) -> Void
    typealias AddPeer = @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32

    let start: Start
    let describe: Describe
    let stop: Stop
    let addPeer: AddPeer

    /// The plugin's image (the one a driver host loading the same path gets too).
    static func load() throws -> UCXExports {
        guard let handle = dlopen(UCXTestSupport.pluginPath, RTLD_NOW | RTLD_LOCAL) else {
            throw TestFailure("dlopen \(UCXTestSupport.pluginPath): \(String(cString: dlerror()))")
        }
        guard let start = dlsym(handle, "dmahost_ucx_server_start"), let describe = dlsym(handle, "dmahost_ucx_server_describe"),
              let stop = dlsym(handle, "dmahost_ucx_server_stop"), let addPeer = dlsym(handle, "dmahost_ucx_add_peer") else {
            throw TestFailure("the plugin does not export the functions of dmahost_ucx.h")
        }
        return UCXExports(start: unsafeBitCast(start, to: Start.self), describe: unsafeBitCast(describe, to: Describe.self),
                          stop: unsafeBitCast(stop, to: Stop.self), addPeer: unsafeBitCast(addPeer, to: AddPeer.self))
    }

    /// Adds `peer` to the devices the plugin reports at its next probe; throws the plugin's reason.
    func add(peer: String) throws {
        var reason = [CChar](repeating: 0, count: 256)
        let rc = addPeer(peer, &reason, reason.count)
        guard rc == 0 else { throw TestFailure("dmahost_ucx_add_peer(\(peer)): \(rc) \(text(reason))") }
    }
}

/// The NUL-terminated text in `buffer`.
func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A server started through the plugin's entry in this process, on 127.0.0.1 and a free port.
final class InProcessServer: @unchecked Sendable {
    // @unchecked Sendable: the handle is used through the plugin's thread-safe functions only.
    let exports: UCXExports
    private let handle: OpaquePointer?
    /// "127.0.0.1:PORT", the port the server bound.
    let address: String
    /// First address of the exposed region (the server's address space: this process's).
    let base: UInt64
    let bytes: UInt64

    init(size: Int, readOnly: Bool = false) throws {
        exports = try UCXExports.load()
        var server: OpaquePointer?
        var reason = [CChar](repeating: 0, count: 512)
        let rc = exports.start("127.0.0.1:0", nil, UInt64(size), readOnly ? UInt32(DMAHOST_REMOTE_READ_ONLY.rawValue) : 0,
                               &server, &reason, reason.count)
        guard rc == 0, let server else { throw TestFailure("dmahost_ucx_server_start: \(rc) \(text(reason))") }
        handle = server
        let description = Self.describe(exports, server)
        guard let address = description["address"] as? String, let base = description["base"] as? NSNumber,
              let bytes = description["bytes"] as? NSNumber else {
            exports.stop(server)
            throw TestFailure("the server's description lacks address/base/bytes")
        }
        (self.address, self.base, self.bytes) = (address, base.uint64Value, bytes.uint64Value)
    }

    deinit { exports.stop(handle) }

    /// The device id clients open.
    var deviceID: String { "ucx:" + address }

    /// The clients as the server describes them (`dmahost_ucx_server_describe`).
    var clients: [[String: Any]] { Self.describe(exports, handle)["clients"] as? [[String: Any]] ?? [] }

    private static func describe(_ exports: UCXExports, _ handle: OpaquePointer?) -> [String: Any] {
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        guard exports.describe(handle, &buffer, buffer.count) > 0,
              let object = try? JSONSerialization.jsonObject(with: Data(text(buffer).utf8)) as? [String: Any] else { return [:] }
        return object
    }
}

/// A driver host that loaded the UCX plugin only, after adding `peer` to its devices.
func ucxHost(peer: String) throws -> DriverHost {
    try UCXExports.load().add(peer: peer)
    let host = DriverHost()
    for outcome in host.load(paths: [UCXTestSupport.pluginPath]) {
        if case .rejected(let rejection) = outcome { throw TestFailure("the UCX plugin was rejected: \(rejection)") }
    }
    return host
}

/// The remote-domain interface of `domain` (`dmahost/remote.h`).
func remoteContext(_ domain: MemoryDomain) throws -> UnsafePointer<dmahost_remote_domain_ctx> {
    let user = try #require(domain.userContext)
    return try #require(dmahost_remote_domain_ctx_get(user.baseAddress, user.count))
}

/// Allocates `length` bytes in the remote domain; the address as a pointer that is never dereferenced.
func remoteAlloc(_ context: UnsafePointer<dmahost_remote_domain_ctx>, _ length: Int, alignment: Int = 64) throws -> UnsafeMutableRawPointer {
    var address: UInt64 = 0
    let alloc = try #require(context.pointee.alloc)
    let rc = alloc(context, UInt64(length), UInt64(alignment), &address)
    guard rc == 0 else { throw TestFailure("remote alloc of \(length) bytes: \(rc)") }
    return try #require(UnsafeMutableRawPointer(bitPattern: UInt(address)))
}

/// Runs `executable` with `arguments` and returns its status and output (stdout then stderr;
/// only stdout when `standardErrorToo` is false).
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
         standardErrorToo: Bool = true) throws -> (status: Int32, output: String) {
    let result = try ChildProcess.run(executable, arguments, environment: environment)
    return (result.status, standardErrorToo ? result.output : result.stdout)
}
