/// A byte count as written on dmactl's command line: a number with an optional unit.
///
/// Grammar (units in any case): `digits [ "." digits ] [ unit ]`, unit one of `B`, `K`, `KiB`,
/// `M`, `MiB`, `G`, `GiB`. K, M and G mean the same as KiB, MiB and GiB: powers of 1024
/// (`4K` = `4KiB` = 4096 bytes). A fraction must come to whole bytes (`1.5K` = 1536, `0.5M`;
/// `1.1K` is refused), at most 9 decimals. The value is positive and fits in `Int`. No sign,
/// spaces or digit separators. `KB`, `MB` and `GB` are refused as ambiguous (1000 or 1024?).
public struct ByteSize: Hashable, Sendable, CustomStringConvertible {
    /// Bytes.
    public let bytes: Int

    /// Wraps a byte count.
    public init(bytes: Int) { self.bytes = bytes }

    /// Parses `text` (see the grammar above); nil when it does not parse.
    public init?(parsing text: String) {
        guard let size = try? ByteSize(validating: text) else { return nil }
        self = size
    }

    /// Parses `text` (see the grammar above).
    /// - Throws: ``ByteSizeError``, whose message says what is wrong and what is accepted.
    public init(validating text: String) throws(ByteSizeError) {
        guard !text.isEmpty else { throw ByteSizeError(text, "is empty") }
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func digits() -> [UInt8] {
            var result: [UInt8] = []
            while index < scalars.count, (0x30...0x39).contains(scalars[index].value) {
                result.append(UInt8(scalars[index].value - 0x30))
                index += 1
            }
            return result
        }
        let whole = digits()
        var fraction: [UInt8] = []
        if index < scalars.count, scalars[index] == "." {
            index += 1
            fraction = digits()
            guard !fraction.isEmpty else { throw ByteSizeError(text, "has no digit after the decimal point") }
        }
        guard !whole.isEmpty else { throw ByteSizeError(text, "does not start with a number") }
        guard fraction.count <= 9 else { throw ByteSizeError(text, "has more than 9 decimals") }
        let unitText = String(String.UnicodeScalarView(scalars[index...]))
        guard let factor = Self.factor(of: unitText) else {
            if unitText.unicodeScalars.allSatisfy(\.isASCII), ["kb", "mb", "gb"].contains(unitText.lowercased()) {
                let letter = unitText.prefix(1).uppercased()
                throw ByteSizeError(text, "uses \(unitText), which is ambiguous (1000 or 1024?): write \(letter) or \(letter)iB (powers of 1024)")
            }
            throw ByteSizeError(text, "has an unknown unit '\(unitText)': use B, K/KiB, M/MiB or G/GiB (powers of 1024)")
        }
        var value = 0
        for digit in whole {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int(digit))
            guard !overflowTimes, !overflowSum else { throw ByteSizeError(text, "is too large") }
            value = sum
        }
        let (scaled, overflowScaled) = value.multipliedReportingOverflow(by: factor)
        guard !overflowScaled else { throw ByteSizeError(text, "is too large") }
        // The fraction times the factor, over 10^decimals: at most (10^9 - 1) * 2^30, no overflow.
        var numerator = 0, denominator = 1
        for digit in fraction {
            numerator = numerator * 10 + Int(digit)
            denominator *= 10
        }
        let part = numerator * factor
        guard part % denominator == 0 else { throw ByteSizeError(text, "is not a whole number of bytes") }
        let (total, overflowTotal) = scaled.addingReportingOverflow(part / denominator)
        guard !overflowTotal else { throw ByteSizeError(text, "is too large") }
        guard total > 0 else { throw ByteSizeError(text, "is zero; give at least 1 byte") }
        bytes = total
    }

    /// Bytes per unit, for a unit of the grammar (ASCII letters in any case); nil for anything else.
    private static func factor(of unit: String) -> Int? {
        guard unit.unicodeScalars.allSatisfy(\.isASCII) else { return nil }
        switch unit.lowercased() {
        case "", "b": return 1
        case "k", "kib": return 1 << 10
        case "m", "mib": return 1 << 20
        case "g", "gib": return 1 << 30
        default: return nil
        }
    }

    /// The shortest exact form: `64B`, `4KiB`, `64MiB`, `1GiB`, or `1500B`.
    public var description: String {
        for (suffix, factor) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor)\(suffix)"
        }
        return "\(bytes)B"
    }

    /// The grammar in one line, for command-line help.
    public static let grammarHelp = "a number with an optional unit B, K/KiB, M/MiB or G/GiB (powers of 1024), e.g. 4096, 4K, 1.5MiB"

    /// Smallest size `dmactl bench` accepts.
    public static let benchMinimum = ByteSize(bytes: 64)
    /// Largest size `dmactl bench` accepts.
    public static let benchMaximum = ByteSize(bytes: 64 << 20)
}

/// Why a text is not a ``ByteSize``: the text and what is wrong with it.
public struct ByteSizeError: Error, Equatable, CustomStringConvertible {
    /// The text that was given.
    public let text: String
    /// What is wrong, e.g. "is not a whole number of bytes".
    public let problem: String

    /// A problem with `text`.
    public init(_ text: String, _ problem: String) {
        self.text = text
        self.problem = problem
    }

    /// "'1.1K' is not a whole number of bytes".
    public var description: String { "'\(text)' \(problem)" }
}
