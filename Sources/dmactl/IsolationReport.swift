import DMAHost
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `dmactl doctor --isolate` learns about one plugin from the child process that loaded
/// it, and the line format the child writes it in.
///
/// The child writes one record per line on standard output, as soon as it knows it (so that
/// the parent knows how far a child got when it dies): tab-separated fields, the first naming
/// the record; `%`, tab, newline and carriage return inside fields are written `%25`, `%09`,
/// `%0A`, `%0D`.
///
/// | Record | Fields |
/// | --- | --- |
/// | `stage` | what the child starts now ("load and probe", "diagnose", "open cpu:0", "close cpu:0") |
/// | `loaded` | driver name, version, ABI, device count |
/// | `rejected` | kind, reason |
/// | `check` | subject, 1 or 0, detail (a line of the driver's diagnose, or of a rejected plugin's) |
/// | `device` | id, error (empty when it opened), domain ids joined by ", " |
/// | `done` | (the child finished) |
struct IsolationReport: Sendable {
    /// One device's open-and-close check.
    struct Device: Sendable {
        var id: String
        var error: String?
        var domains: [String]
    }

    var stage = "start"
    var loaded: (name: String, version: String, abi: String, devices: Int)?
    var rejected: (kind: String, reason: String)?
    var checks: [DriverDiagnostic] = []
    var devices: [Device] = []
    var done = false

    /// Parses what a child wrote (unknown or malformed lines are skipped).
    init(parsing text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { Self.unescape(String($0)) }
            switch (fields.first, fields.count) {
            case ("stage", 2): stage = fields[1]
            case ("loaded", 5): loaded = (fields[1], fields[2], fields[3], Int(fields[4]) ?? 0)
            case ("rejected", 3): rejected = (fields[1], fields[2])
            case ("check", 4): checks.append(DriverDiagnostic(subject: fields[1], ok: fields[2] == "1", detail: fields[3]))
            case ("device", 4):
                devices.append(Device(id: fields[1], error: fields[2].isEmpty ? nil : fields[2],
                                      domains: fields[3].isEmpty ? [] : fields[3].split(separator: ", ").map(String.init)))
            case ("done", 1): done = true
            default: continue
            }
        }
    }

    /// Writes one record to standard output at once (unbuffered: the parent must see it even
    /// if the process dies right after).
    static func emit(_ fields: String...) {
        let line = fields.map(escape).joined(separator: "\t") + "\n"
        line.withCString { pointer in
            var offset = 0
            let length = strlen(pointer)
            while offset < length {
                let written = write(STDOUT_FILENO, pointer + offset, length - offset)
                if written <= 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }

    private static func escape(_ field: String) -> String {
        var result = ""
        for character in field.unicodeScalars {
            switch character {
            case "%": result += "%25"
            case "\t": result += "%09"
            case "\n": result += "%0A"
            case "\r": result += "%0D"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    private static func unescape(_ field: String) -> String {
        guard field.contains("%") else { return field }
        return field.replacingAll([("%09", "\t"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")])
    }
}

extension String {
    /// The string with each pair's first text replaced by its second, scanning left to right
    /// (a replacement is never scanned again).
    fileprivate func replacingAll(_ pairs: [(String, String)]) -> String {
        var result = ""
        var rest = Substring(self)
        outer: while !rest.isEmpty {
            for (from, to) in pairs where rest.hasPrefix(from) {
                result += to
                rest = rest.dropFirst(from.count)
                continue outer
            }
            result.append(rest.removeFirst())
        }
        return result
    }
}
