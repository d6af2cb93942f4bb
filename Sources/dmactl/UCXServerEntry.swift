#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The server functions the loaded UCX plugin exports (`dmahost_ucx.h` of the plugin),
/// found with `dlsym` in the very image the driver host loaded: dmactl never links libucp.
struct UCXServerEntry {
    typealias Start = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UInt64, UInt32,
                                      UnsafeMutablePointer<OpaquePointer?>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
    typealias Describe = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int) -> Int32
    typealias Stop = @convention(c) (OpaquePointer?) -> Void

    /// `DMAHOST_REMOTE_READ_ONLY` of `dmahost/remote.h`.
    static let readOnlyFlag: UInt32 = 1

    let start: Start
    let describe: Describe
    let stop: Stop

    /// Finds the functions in the plugin loaded from `pluginPath` (`RTLD_NOLOAD`: the loaded image, never a second one).
    init(pluginPath: String) throws(Failure) {
        guard let handle = dlopen(pluginPath, RTLD_NOW | RTLD_NOLOAD) else {
            throw Failure(.failed, "the ucx plugin \(pluginPath) is not loaded in this process")
        }
        guard let start = dlsym(handle, "dmahost_ucx_server_start"), let describe = dlsym(handle, "dmahost_ucx_server_describe"),
              let stop = dlsym(handle, "dmahost_ucx_server_stop") else {
            throw Failure(.failed, "the ucx plugin \(pluginPath) exports no server (dmahost_ucx_server_start): rebuild it")
        }
        self.start = unsafeBitCast(start, to: Start.self)
        self.describe = unsafeBitCast(describe, to: Describe.self)
        self.stop = unsafeBitCast(stop, to: Stop.self)
    }
}

/// A running UCX server of the plugin.
final class UCXServer {
    private let entry: UCXServerEntry
    private var handle: OpaquePointer?

    /// Starts a server listening on `listen` that exposes `memory` (nil: memory of its own) of `length` bytes.
    init(entry: UCXServerEntry, listen: String, memory: UnsafeMutableRawPointer?, length: Int, readOnly: Bool) throws(Failure) {
        self.entry = entry
        var server: OpaquePointer?
        var reason = [CChar](repeating: 0, count: 512)
        let rc = entry.start(listen, memory, UInt64(length), readOnly ? UCXServerEntry.readOnlyFlag : 0, &server, &reason, reason.count)
        guard rc == 0, let server else {
            throw Failure(.failed, "serve on \(listen): \(Self.text(reason)) (\(String(cString: strerror(-rc))))")
        }
        handle = server
    }

    /// The server's JSON description (`dmahost_ucx_server_describe`).
    func describe() -> String {
        var capacity = 4096
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let length = Int(entry.describe(handle, &buffer, capacity))
            if length < 0 { return "{}" }
            if length < capacity { return Self.text(buffer) }
            capacity = length + 1
        }
    }

    /// The NUL-terminated text in `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Disconnects the clients and stops the server.
    func stop() {
        entry.stop(handle)
        handle = nil
    }
}
