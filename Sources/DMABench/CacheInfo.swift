#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CPU caches as sysfs describes them (`/sys/devices/system/cpu/cpu0/cache/index*/`).
public struct CacheInfo: Sendable, Equatable {
    /// Size in bytes of the last-level cache (the highest `level` that holds data), or nil
    /// when sysfs has no cache description (some containers and VMs).
    public var lastLevelBytes: Int?
    /// Its level (e.g. 3).
    public var lastLevel: Int?

    /// Reads cpu0's cache description from `root` (default: sysfs).
    public static func read(root: String = "/sys/devices/system/cpu/cpu0/cache") -> CacheInfo {
        var best: (level: Int, bytes: Int)?
        for index in 0..<16 {
            let directory = "\(root)/index\(index)"
            guard let levelText = readSmallFile("\(directory)/level"), let level = Int(levelText) else { continue }
            if let type = readSmallFile("\(directory)/type"), type == "Instruction" { continue }
            guard let sizeText = readSmallFile("\(directory)/size"), let bytes = parseCacheSize(sizeText) else { continue }
            if best.map({ level > $0.level || (level == $0.level && bytes > $0.bytes) }) ?? true {
                best = (level, bytes)
            }
        }
        return CacheInfo(lastLevelBytes: best?.bytes, lastLevel: best?.level)
    }

    /// Parses sysfs cache sizes: `32768K`, `512K`, `32M`, or plain bytes.
    static func parseCacheSize(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let last = text.last else { return nil }
        if let factor = units[last] { return Int(text.dropLast()).map { $0 * factor } }
        return Int(text)
    }

    /// Reads a short sysfs file (open/read/close, EINTR retried), trimmed; nil when absent.
    static func readSmallFile(_ path: String) -> String? {
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        var count: Int
        repeat { count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } } while count < 0 && errno == EINTR
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return String(text.filter { !$0.isWhitespace })
    }
}
