/// The CPU caches as sysfs describes them (`/sys/devices/system/cpu/cpu0/cache/index*/`).
public struct CacheInfo: Sendable, Equatable {
    /// Size in bytes of the last-level cache (the highest `level` that holds data), or nil
    /// when sysfs has no cache description (some containers and VMs).
    public var lastLevelBytes: Int?
    /// Its level (e.g. 3).
    public var lastLevel: Int?

    /// A description with these values (tests, and callers that know their machine).
    public init(lastLevelBytes: Int?, lastLevel: Int?) {
        self.lastLevelBytes = lastLevelBytes
        self.lastLevel = lastLevel
    }

    /// Reads cpu0's cache description from `root` (default: sysfs).
    public static func read(root: String = "/sys/devices/system/cpu/cpu0/cache") -> CacheInfo {
        var best: (level: Int, bytes: Int)?
        for index in 0..<16 {
            let directory = "\(root)/index\(index)"
            guard let levelText = SystemFiles.attribute("\(directory)/level"), let level = Int(levelText) else { continue }
            if let type = SystemFiles.attribute("\(directory)/type"), type == "Instruction" { continue }
            guard let sizeText = SystemFiles.attribute("\(directory)/size"), let bytes = parseCacheSize(sizeText) else { continue }
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
}
