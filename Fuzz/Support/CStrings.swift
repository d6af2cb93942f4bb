/// What a host should make of a C string a plugin handed over (the rules of
/// Sources/DriverHost/PluginStrings.swift: NUL-terminated UTF-8 of at most 4096 bytes).
enum CStringExpectation: Equatable {
    case null
    case unterminated
    case invalidUTF8
    case text(String)
}

/// C strings built from fuzz input, each in a heap block of exactly the bytes a reader may
/// touch: the string and its NUL, or — for a string without a NUL in bound — the 4097 bytes a
/// bounded reader may scan. AddressSanitizer therefore reports any read past them. The blocks
/// live as long as the arena.
final class CStringArena {
    /// Longest string a host accepts (PluginStrings.maximumLength).
    static let maximumLength = 4096
    /// Strings that reach deeper checks than random bytes do.
    static let words = ["cpu", "rdma", "dmaengine", "vendor-c", "vendor", "system", "SPDK_X", "dmabuf", "a.b-c_d",
                        "cpu:0", "vendor-c:1", "x:y,z", "v:*", "v:\t", "v:é", "a \u{301}b", "a,\u{301}b", "a\r\nb"]

    private var blocks: [UnsafeMutablePointer<CChar>] = []

    deinit { for block in blocks { block.deallocate() } }

    /// A string chosen by the input, with what a host should read from it.
    func make(_ input: inout FuzzInput, prefix: String = "") -> (pointer: UnsafePointer<CChar>?, expected: CStringExpectation) {
        let kind = input.byte() % 10
        if kind == 0 { return (nil, .null) }
        if kind == 1 {
            let filler = UInt8(ascii: "a") + input.byte() % 26
            return (store([UInt8](repeating: filler, count: Self.maximumLength + 1), terminated: false), .unterminated)
        }
        var bytes: [UInt8]
        switch kind {
        case 2: bytes = [UInt8](repeating: UInt8(ascii: "b"), count: Self.maximumLength - input.int(in: 0...1) + input.int(in: 0...1))
        case 3, 4, 5: bytes = Array((prefix + Self.words[input.int(in: 0...(Self.words.count - 1))]).utf8)
        default: bytes = Array(prefix.utf8) + input.bytes(upTo: input.int(in: 0...24))
        }
        if let end = bytes.firstIndex(of: 0) { bytes.removeSubrange(end...) }
        let expected: CStringExpectation
        if bytes.count > Self.maximumLength {
            return (store(Array(bytes.prefix(Self.maximumLength + 1)), terminated: false), .unterminated)
        } else if let text = String(validating: bytes, as: UTF8.self) {
            expected = .text(text)
        } else {
            expected = .invalidUTF8
        }
        return (store(bytes, terminated: true), expected)
    }

    /// A NUL-terminated copy of `text`.
    func copy(_ text: String) -> UnsafePointer<CChar> { store(Array(text.utf8), terminated: true) }

    /// Copies `bytes` (and a NUL when `terminated`) into a block of exactly that size.
    private func store(_ bytes: [UInt8], terminated: Bool) -> UnsafePointer<CChar> {
        let block = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + (terminated ? 1 : 0))
        for (index, byte) in bytes.enumerated() { block[index] = CChar(bitPattern: byte) }
        if terminated { block[bytes.count] = 0 }
        blocks.append(block)
        return UnsafePointer(block)
    }
}
