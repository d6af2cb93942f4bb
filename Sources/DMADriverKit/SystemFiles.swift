#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reading the small files through which the kernel describes devices (sysfs attributes, procfs
/// entries, device nodes, driver links), as backends do to discover and diagnose their devices.
///
/// Every function tolerates absence: a file that is missing or unreadable is `nil` (or false),
/// never an error, since absence is what discovery reports. Plain POSIX calls (`opendir`,
/// `fopen`, `readlink`, `access`, `stat`): no Foundation, nothing cached.
public enum SystemFiles {
    /// The names in a directory, without "." and "..", in ``naturalOrder(_:_:)`` ("dma0chan2"
    /// before "dma0chan10"); nil when the directory cannot be opened.
    public static func entries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted(by: naturalOrder)
    }

    /// The whole text of a small file (at most `limit` bytes, about: it reads in 4 KiB chunks);
    /// nil when it cannot be opened.
    public static func readSmallFile(_ path: String, limit: Int = 1 << 16) -> String? {
        guard let file = fopen(path, "re") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A sysfs attribute: the file's text without surrounding spaces, tabs and newlines; nil when
    /// unreadable.
    public static func attribute(_ path: String) -> String? {
        guard let text = readSmallFile(path) else { return nil }
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(text[first...last])
    }

    /// A numeric attribute (decimal, or hexadecimal after "0x"); nil when unreadable or not a number.
    public static func integer(_ path: String) -> Int64? {
        guard let text = attribute(path) else { return nil }
        if text.hasPrefix("0x") { return Int64(text.dropFirst(2), radix: 16) }
        return Int64(text)
    }

    /// The target of a symbolic link as stored ("../../../bus/pci/drivers/ioatdma"); nil when
    /// `path` is not a readable link.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The last component of a link's target ("../../ioatdma" → "ioatdma"), e.g. the kernel
    /// driver of a device (`<device>/driver`); nil when `path` is not a link.
    public static func linkName(_ path: String) -> String? {
        readLink(path).flatMap { $0.split(separator: "/").last.map(String.init) }
    }

    /// True when something exists at `path` (following links).
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// True when `path` is a character device node (following links).
    public static func isCharacterDevice(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR
    }
}
