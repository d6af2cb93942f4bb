import DMASync
#if canImport(Glibc)
import Glibc
#endif

/// The plugins built next to the test binary (`.build/<config>/libdmahost-<name>.so`).
enum BuiltPlugin {
    /// Path of `libdmahost-<name>.so` in the build directory of this test binary, or nil.
    static func path(_ name: String) -> String? {
        guard let executable = readLinkString("/proc/self/exe") else { return nil }
        var directory = String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
        // The bundle may be a directory (…/X.xctest/…): walk up to the build directory.
        while !directory.isEmpty {
            let candidate = "\(directory)/libdmahost-\(name).so"
            if access(candidate, R_OK) == 0 { return candidate }
            directory = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
        }
        return nil
    }

    static func readLinkString(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

import DriverHost
import CDMAHostABI
import DMABuf

/// Plugin tables and hosts the tests keep for the life of the process, as a real host does
/// (driver.h: a plugin's table stays valid for the process's life and is never unloaded), so
/// LeakSanitizer sees them as reachable rather than lost.
enum KeptForProcessLifetime {
    /// Table addresses (kept as integers: the bytes are what LeakSanitizer scans for).
    private static let tables = Locked<[UInt]>([])
    private static let hosts = Locked<[DriverHost]>([])

    static func keep(_ table: UnsafePointer<dmahost_driver_ops>) { tables.withLock { $0.append(UInt(bitPattern: table)) } }
    static func keep(_ host: DriverHost) { hosts.withLock { $0.append(host) } }
}
