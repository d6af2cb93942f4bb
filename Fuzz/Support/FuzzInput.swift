/// Reads typed values from one libFuzzer input, front to back.
///
/// Reads past the end yield zeros, so that every input, however short, decodes to some case
/// and the fuzzer's mutations of a byte change one decoded value. Compiled into every target.
struct FuzzInput {
    /// The input; owned by libFuzzer for the duration of one call.
    private let bytes: UnsafeRawBufferPointer
    /// Index of the next unread byte.
    private var position = 0

    /// Wraps the arguments of `LLVMFuzzerTestOneInput`.
    init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : count)
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next `count` bytes as a little-endian unsigned value (0 ... 8 bytes).
    mutating func unsigned(bytes count: Int) -> UInt64 {
        var value: UInt64 = 0
        for shift in 0..<count { value |= UInt64(byte()) << (8 * UInt64(shift)) }
        return value
    }

    /// The next byte's lowest bit.
    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A value in `range`, from as many bytes as the range needs (at most 8).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(range.upperBound) &- Int64(range.lowerBound))
        guard span > 0 else { return range.lowerBound }
        let width = (64 - span.leadingZeroBitCount + 7) / 8
        let raw = unsigned(bytes: width)
        let offset = span == .max ? raw : raw % (span + 1)
        return range.lowerBound &+ Int(truncatingIfNeeded: offset)
    }

    /// Up to `count` of the next bytes (fewer at the end of the input).
    mutating func bytes(upTo count: Int) -> [UInt8] {
        let taken = min(max(count, 0), remaining)
        defer { position += taken }
        return Array(bytes[position..<(position + taken)])
    }

    /// Every byte not read yet.
    mutating func rest() -> [UInt8] { bytes(upTo: remaining) }
}

/// Stops the fuzzer with `message` when an invariant of the code under test does not hold:
/// libFuzzer reports the abort as a crash and saves the input that caused it.
func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("invariant violated: \(message())", file: file, line: line) }
}
