#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file-system questions the diagnosis asks (`opendir`/`readdir`, `access`, `readlink`).
enum FileSystem {
    /// Names in a directory (without "." and ".."), sorted; nil when it cannot be read.
    static func entries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// True when the path exists.
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The first line of a small text file, trimmed; nil when unreadable.
    static func firstLine(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 512)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = buffer.withUnsafeBufferPointer { pointer in
            String(decoding: UnsafeRawBufferPointer(pointer).prefix { $0 != 0 }, as: UTF8.self)
        }
        return line.trimmingWhitespace()
    }

    /// The last path component a symbolic link points to (e.g. a device's kernel driver).
    static func linkTargetName(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let target = buffer.withUnsafeBufferPointer { pointer in
            String(decoding: UnsafeRawBufferPointer(pointer).prefix(count), as: UTF8.self)
        }
        return target.split(separator: "/").last.map(String.init)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        var result = String(String.UnicodeScalarView(scalars))
        while let last = result.last, last == " " || last == "\n" || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}
