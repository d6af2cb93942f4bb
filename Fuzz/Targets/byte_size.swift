// Fuzz target `byte_size`: ByteSize (Sources/DMABench/ByteSize.swift), the sizes of `dmactl
// bench --size` and `dmactl copy --size`.
//
// The input's first byte chooses between text and a number. Text (the rest of the input,
// invalid UTF-8 repaired as String(decoding:) does) must never crash the parser; ASCII text is
// accepted exactly when a model of the documented grammar accepts it — an optional sign `+`,
// decimal digits, an optional unit among B, K, KiB, M, MiB, G, GiB in any case — with a positive
// product that fits in Int, and then with the model's value. A number (8 bytes) must survive
// description then parsing, and its description must be the shortest exact form.

/// The documented grammar, for ASCII text; nil when it does not parse.
private func model(_ text: String) -> Int? {
    let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30),
                                  ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
    var scalars = Array(text.unicodeScalars.map { Character($0).lowercased() }.joined())
    var multiplier = 1
    for (suffix, factor) in units where scalars.count >= suffix.count && String(scalars.suffix(suffix.count)) == suffix {
        scalars.removeLast(suffix.count)
        multiplier = factor
        break
    }
    if scalars.first == "+" { scalars.removeFirst() }
    guard !scalars.isEmpty, scalars.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
    var value = 0
    for digit in scalars {
        let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowSum) = times.addingReportingOverflow(Int(digit.asciiValue! - 48))
        guard !overflowTimes, !overflowSum else { return nil }
        value = sum
    }
    guard value > 0 else { return nil }
    let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : product
}

private func fuzzText(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = ByteSize(parsing: text)
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
