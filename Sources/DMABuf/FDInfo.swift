#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import DMADriverKit

/// What `/proc/self/fdinfo/<fd>` and `/proc/self/fd/<fd>` say about a descriptor: how a
/// dma-buf is told apart from other files (its fdinfo has an `exp_name:` line naming the exporter).
public struct FDInfo: Sendable, Hashable {
    /// The `key: value` lines of the fdinfo file.
    public var fields: [String: String]
    /// The target of the `/proc/self/fd/<fd>` link (e.g. `pipe:[1234]`, `/dmabuf:`), if readable.
    public var target: String?

    /// Parses fdinfo text (pure; unit-tested).
    public init(fdinfo text: String, target: String?) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: " \t")
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if !key.isEmpty { fields[key] = value }
        }
        self.fields = fields
        self.target = target
    }

    /// Reads the fdinfo of `fd` in this process; nil when procfs is not readable.
    /// - Parameter procRoot: The procfs mount point (injectable for tests).
    public static func read(fd: Int32, procRoot: String = "/proc") -> FDInfo? {
        guard let text = SystemFiles.readSmallFile("\(procRoot)/self/fdinfo/\(fd)") else { return nil }
        return FDInfo(fdinfo: text, target: SystemFiles.readLink("\(procRoot)/self/fd/\(fd)"))
    }

    /// True when the fdinfo is a dma-buf's (it names an exporter).
    public var isDMABuf: Bool { fields["exp_name"] != nil }
    /// The dma-buf exporter ("udmabuf", "system", "vgem"...), for dma-bufs.
    public var exporter: String? { fields["exp_name"] }
    /// The dma-buf's size from fdinfo, for dma-bufs.
    public var size: UInt64? { fields["size"].flatMap { UInt64($0) } }
    /// The open flags (octal in fdinfo).
    public var flags: Int32? { fields["flags"].flatMap { Int32($0, radix: 8) } }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
