/// A byte count written with an optional binary unit: `64`, `64B`, `4K`, `4KiB`, `64M`, `64MiB`,
/// `1G`, `1GiB` (K, M, G are powers of 1024; case-insensitive).
public struct ByteSize: Hashable, Sendable, CustomStringConvertible {
    /// Bytes.
    public let bytes: Int

    /// Wraps a byte count.
    public init(bytes: Int) { self.bytes = bytes }

    /// Parses `text`; nil when it is not a positive whole number with a known unit or overflows.
    public init?(parsing text: String) {
        let lowered = text.lowercased()
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30),
                                      ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        var digits = Substring(lowered)
        var multiplier = 1
        for (suffix, factor) in units where lowered.hasSuffix(suffix) {
            digits = lowered.dropLast(suffix.count)
            multiplier = factor
            break
        }
        guard let number = Int(digits), number > 0 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        bytes = product
    }

    /// The shortest exact form: `64B`, `4KiB`, `64MiB`, `1GiB`, or `1500B`.
    public var description: String {
        for (suffix, factor) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor)\(suffix)"
        }
        return "\(bytes)B"
    }

    /// Smallest size `dmactl bench` accepts.
    public static let benchMinimum = ByteSize(bytes: 64)
    /// Largest size `dmactl bench` accepts.
    public static let benchMaximum = ByteSize(bytes: 64 << 20)
}
