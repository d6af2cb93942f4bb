// Fuzz target `byte_size`: ByteSize (Sources/DMABench/ByteSize.swift), every size of dmactl's
// command line (`bench --size`, `copy --size`, `stress --max-size`).
//
// The input's first byte chooses between text and a number. Text (the rest of the input,
// invalid UTF-8 repaired as String(decoding:) does) must never crash the parser, and the
// throwing and optional initialisers must agree; ASCII text is accepted exactly when a model of
// the documented grammar accepts it — decimal digits, optionally a point and 1 to 9 more
// digits, an optional unit among B, K, KiB, M, MiB, G, GiB in any case (K = KiB = 1024) — with
// a value that is a positive whole number of bytes fitting in Int, and then with the model's
// value. A number (8 bytes) must survive description then parsing, and its description must be
// the shortest exact form.

/// The documented grammar, for ASCII text; nil when it does not parse. Exact arithmetic on
/// arbitrary digit strings through Double is not exact, so the value is computed in 128 bits.
private func model(_ text: String) -> Int? {
    let lowered = text.lowercased()
    let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30),
                                  ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
    var number = Substring(lowered)
    var multiplier = 1
    for (suffix, factor) in units where number.hasSuffix(suffix) {
        number = number.dropLast(suffix.count)
        multiplier = factor
        break
    }
    let parts = number.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 1 || parts.count == 2 else { return nil }
    let whole = parts[0], fraction = parts.count == 2 ? parts[1] : ""
    let isDigits: (Substring) -> Bool = { $0.allSatisfy { $0 >= "0" && $0 <= "9" } }
    guard !whole.isEmpty, isDigits(whole), isDigits(fraction), parts.count == 1 || !fraction.isEmpty, fraction.count <= 9 else { return nil }
    // value = (whole * 10^n + fraction) * multiplier / 10^n, exactly, in UInt128-like pieces.
    let digits = whole + fraction
    var scaled: (high: UInt64, low: UInt64) = (0, 0)   // digits * multiplier as a 128-bit number
    for digit in digits {
        let add = UInt64(digit.asciiValue! - 48) * UInt64(multiplier)
        let lowTimes = scaled.low.multipliedFullWidth(by: 10)
        let (highTimes, overflowTimes) = scaled.high.multipliedReportingOverflow(by: 10)
        let (highSum, overflowSum) = highTimes.addingReportingOverflow(lowTimes.high)
        let (low, carry) = lowTimes.low.addingReportingOverflow(add)
        let (high, overflowCarry) = highSum.addingReportingOverflow(carry ? 1 : 0)
        guard !overflowTimes, !overflowSum, !overflowCarry else { return nil }
        scaled = (high, low)
    }
    var denominator: UInt64 = 1
    for _ in fraction { denominator *= 10 }
    guard scaled.high < denominator else { return nil }   // quotient would not fit in 64 bits
    let (quotient, remainder) = denominator.dividingFullWidth((scaled.high, scaled.low))
    guard remainder == 0, quotient > 0, quotient <= UInt64(Int.max) else { return nil }
    return Int(quotient)
}

private func fuzzText(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = ByteSize(parsing: text)
    let thrown: ByteSizeError?
    do throws(ByteSizeError) { _ = try ByteSize(validating: text); thrown = nil } catch { thrown = error }
    require((parsed == nil) == (thrown != nil), "'\(text)': init(parsing:) and init(validating:) disagree")
    if let parsed { require(parsed.bytes > 0, "'\(text)' parsed as \(parsed.bytes) bytes") }
    guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return }
    let expected = model(text)
    require(parsed?.bytes == expected, "'\(text)' parsed as \(String(describing: parsed?.bytes)), the grammar says \(String(describing: expected))")
}

private func fuzzNumber(_ input: inout FuzzInput) {
    let raw = input.unsigned(bytes: 8) >> input.int(in: 0...63)
    let bytes = Int(truncatingIfNeeded: raw & UInt64(Int.max))
    guard bytes > 0 else { return }
    let size = ByteSize(bytes: bytes)
    let text = size.description
    require(ByteSize(parsing: text)?.bytes == bytes, "\(bytes) is described as '\(text)', which does not parse back")
    let unit: (String, Int) = bytes % (1 << 30) == 0 ? ("GiB", 1 << 30) : bytes % (1 << 20) == 0 ? ("MiB", 1 << 20)
        : bytes % (1 << 10) == 0 ? ("KiB", 1 << 10) : ("B", 1)
    require(text == "\(bytes / unit.1)\(unit.0)", "\(bytes) is described as '\(text)', expected \(bytes / unit.1)\(unit.0)")
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzByteSize(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    if input.byte() == 0xFF { fuzzNumber(&input) } else { fuzzText(input.rest()) }
    return 0
}
