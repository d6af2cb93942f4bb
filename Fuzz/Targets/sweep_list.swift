// Fuzz target `sweep_list`: SweepList.sizes (Sources/DMABench/SweepList.swift), the lists of
// `dmactl bench --sizes`, built on ByteSize (fuzzed on its own by `byte_size`).
//
// The input is the text (invalid UTF-8 repaired as String(decoding:) does). It must never crash
// the parser, and every refusal names the option. For ASCII text the answer must be a model's of
// the documented grammar: items separated by commas, spaces ignored, each a size or a range
// LOW..HIGH (LOW ≤ HIGH) that doubles from LOW while it stays ≤ HIGH; every bound within
// 64B...64MiB; values in the order written, a repeat kept once; at most 1024 values; an empty
// item, a second "..", a bound that is no size, a range running downwards: refused.

/// The documented grammar, for ASCII text; nil when it refuses.
private func model(_ text: String) -> [Int]? {
    let bounds = 64...(64 << 20)
    var values: [Int] = []
    func add(_ value: Int) -> Bool {
        if values.contains(value) { return true }
        guard values.count < 1024 else { return false }
        values.append(value)
        return true
    }
    func size(_ text: Substring) -> Int? {
        guard let value = ByteSize(parsing: String(text))?.bytes, bounds.contains(value) else { return nil }
        return value
    }
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
        let compact = item.filter { $0 != " " }
        guard !compact.isEmpty else { return nil }
        guard let dots = compact.firstRange(of: "..") else {
            guard let value = size(compact[...]), add(value) else { return nil }
            continue
        }
        let rest = compact[dots.upperBound...]
        guard rest.firstRange(of: "..") == nil, let low = size(compact[..<dots.lowerBound]), let high = size(rest), low <= high else {
            return nil
        }
        var next = low
        while next <= high {
            guard add(next) else { return nil }
            next *= 2  // at most 128MiB: no overflow
        }
    }
    return values
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSweepList(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let text = String(decoding: input.rest(), as: UTF8.self)
    var parsed: [Int]?
    do throws(SweepListError) {
        parsed = try SweepList.sizes(text, option: "--sizes")
    } catch {
        require(error.message.hasPrefix("--sizes: "), "the refusal of '\(text)' does not name the option: \(error.message)")
    }
    if let parsed {
        require(!parsed.isEmpty && parsed.allSatisfy { (64...(64 << 20)).contains($0) } && Set(parsed).count == parsed.count,
                "'\(text)' gave \(parsed)")
    }
    guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return 0 }
    let expected = model(text)
    require(parsed == expected, "'\(text)' gave \(String(describing: parsed)), the grammar says \(String(describing: expected))")
    return 0
}
