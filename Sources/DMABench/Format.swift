/// Number formatting for reports (no Foundation).
public enum Format {
    /// `value` with exactly `digits` decimals (rounded half away from zero).
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        let fractionText = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: max(0, digits - fractionText.count)) + fractionText
    }

    /// Nanoseconds as `850 ns`, `12.3 µs` or `4.56 ms`.
    public static func duration(nanoseconds: Double) -> String {
        if nanoseconds < 10_000 { return "\(fixed(nanoseconds, 0)) ns" }
        if nanoseconds < 10_000_000 { return "\(fixed(nanoseconds / 1e3, 1)) µs" }
        return "\(fixed(nanoseconds / 1e6, 2)) ms"
    }

    /// Bytes as the shortest exact binary form (``ByteSize``), or MiB with one decimal.
    public static func bytes(_ count: Int) -> String {
        let exact = ByteSize(bytes: count).description
        if count < 1 << 20 || !exact.hasSuffix("B") || exact.hasSuffix("iB") { return exact }
        return "\(fixed(Double(count) / Double(1 << 20), 1))MiB"
    }
}
