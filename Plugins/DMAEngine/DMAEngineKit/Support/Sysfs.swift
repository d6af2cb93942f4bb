import DMABuf
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reading sysfs: attributes, directory listings and links, all tolerant of absence
/// (an absent file is `nil`, never an error: absence is what discovery reports).
enum Sysfs {
    /// The attribute's text without surrounding whitespace; nil when unreadable.
    static func attribute(_ path: String) -> String? {
        readSmallFile(path).map { $0.trimmingCharacters(in: " \n\t") }
    }

    /// The attribute as an integer (decimal, or hex with 0x); nil when unreadable or not a number.
    static func integer(_ path: String) -> Int64? {
        guard let text = attribute(path) else { return nil }
        if text.hasPrefix("0x") { return Int64(text.dropFirst(2), radix: 16) }
        return Int64(text)
    }

    /// Names in a directory (no "." or ".."), sorted; nil when it cannot be opened.
    static func entries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted(by: naturalOrder)
    }

    /// The last path component of a link's target ("../../ioatdma" → "ioatdma"); nil when not a link.
    static func linkName(_ path: String) -> String? {
        readLink(path).flatMap { $0.split(separator: "/").last.map(String.init) }
    }

    /// True when something exists at `path` (following links).
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// True when `path` is a character device node.
    static func isCharacterDevice(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR
    }

    /// "dma2chan10" after "dma2chan9"; "wq0.10" after "wq0.2".
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func key(_ s: String) -> [Either] {
            var parts: [Either] = []
            var digits = ""
            var letters = ""
            for ch in s {
                if ch.isNumber {
                    if !letters.isEmpty { parts.append(.text(letters)); letters = "" }
                    digits.append(ch)
                } else {
                    if !digits.isEmpty { parts.append(.number(Int(digits) ?? 0)); digits = "" }
                    letters.append(ch)
                }
            }
            if !letters.isEmpty { parts.append(.text(letters)) }
            if !digits.isEmpty { parts.append(.number(Int(digits) ?? 0)) }
            return parts
        }
        let (ka, kb) = (key(a), key(b))
        for (x, y) in zip(ka, kb) where x != y { return x < y }
        return ka.count < kb.count
    }

    enum Either: Comparable {
        case number(Int)
        case text(String)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

extension Sysfs {
    /// The raw target of a symbolic link; nil when not a link.
    static func linkTarget(_ path: String) -> String? { readLink(path) }
}
