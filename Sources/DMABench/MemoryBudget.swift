import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How much memory a command may allocate for its buffers before it starts: the lower of the
/// memory the kernel reports available (`MemAvailable` in `/proc/meminfo`) and the process's
/// address-space and data limits (`RLIMIT_AS`, `RLIMIT_DATA`). A command that needs more is
/// refused up front with an error naming the numbers, instead of being killed by the
/// out-of-memory killer half way through filling its buffers.
public struct MemoryBudget: Sendable {
    /// Bytes the command may use; nil when nothing could be read (no limit is applied then).
    public let bytes: Int?
    /// Where ``bytes`` comes from, for the error message ("MemAvailable", "RLIMIT_AS").
    public let source: String

    /// A budget of `bytes` from `source` (tests; normally ``current()``).
    public init(bytes: Int?, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The budget of this process now.
    public static func current() -> MemoryBudget {
        var candidates: [(Int, String)] = []
        if let available = availableMemory() { candidates.append((available, "MemAvailable in /proc/meminfo")) }
        // What the process already uses counts against its limits.
        let status = processStatus()
        for (resource, name, used) in [(RLIMIT_AS, "RLIMIT_AS", status["VmSize"]), (RLIMIT_DATA, "RLIMIT_DATA", status["VmData"])] {
            var limit = rlimit()
            if getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
               let bytes = Int(exactly: limit.rlim_cur) {
                candidates.append((max(0, bytes - (used ?? 0)), "\(name) less what the process already uses"))
            }
        }
        guard let lowest = candidates.min(by: { $0.0 < $1.0 }) else { return MemoryBudget(bytes: nil, source: "nothing") }
        return MemoryBudget(bytes: lowest.0, source: lowest.1)
    }

    /// Checks that `buffers` buffers of `size` bytes fit.
    /// - Parameters:
    ///   - what: What the memory is for ("copy of 256 MiB"), the start of the error message.
    ///   - parts: What the buffers are, for the error message ("source, destination, read-back").
    ///   - advice: What to change ("lower --size").
    /// - Throws: ``DMAError/outOfMemory(_:)`` naming the need, the budget and `advice`.
    public func check(buffers: Int, of size: Int, for what: String, parts: String, advice: String) throws(DMAError) {
        let (needed, overflow) = buffers.multipliedReportingOverflow(by: size)
        guard overflow || bytes.map({ needed > $0 }) == true else { return }
        let need = overflow ? "more than \(Self.approximate(Int.max))" : Self.approximate(needed)
        let have = bytes.map(Self.approximate) ?? "unknown"
        throw .outOfMemory("\(what) needs \(need) of memory (\(buffers) buffers of \(ByteSize(bytes: size)): \(parts)), "
                           + "but only \(have) can be used (\(source)); \(advice)")
    }

    /// `bytes` in the largest binary unit that keeps it at least 1, with one decimal: "22.5 GiB".
    static func approximate(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = (value * 10).rounded()
        let text = tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths) / 10)" : "\(tenths / 10)"
        return "\(text) \(units[unit])"
    }

    /// `MemAvailable` from `/proc/meminfo`, in bytes.
    private static func availableMemory() -> Int? {
        kibibyteFields(of: "/proc/meminfo")["MemAvailable"]
    }

    /// The sizes in `/proc/self/status` ("VmSize", "VmData"), in bytes.
    private static func processStatus() -> [String: Int] {
        kibibyteFields(of: "/proc/self/status")
    }

    /// The "Name:   123 kB" lines of a procfs file, in bytes.
    private static func kibibyteFields(of path: String) -> [String: Int] {
        guard let file = fopen(path, "r") else { return [:] }
        defer { fclose(file) }
        var fields: [String: Int] = [:]
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard words.count == 3, words[2] == "kB", words[0].hasSuffix(":"), let kibibytes = Int(words[1]) else { continue }
            let (bytes, overflow) = kibibytes.multipliedReportingOverflow(by: 1024)
            fields[String(words[0].dropLast())] = overflow ? Int.max : bytes
        }
        return fields
    }
}
