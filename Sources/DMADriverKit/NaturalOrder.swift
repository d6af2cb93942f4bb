extension SystemFiles {
    /// The order of kernel object names: runs of digits compare as numbers, the rest as text,
    /// so "dma2chan10" comes after "dma2chan9" and "wq0.10" after "wq0.2".
    /// - Returns: True when `a` comes before `b`.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        let (keyA, keyB) = (NameKey.parts(of: a), NameKey.parts(of: b))
        for (x, y) in zip(keyA, keyB) where x != y { return x < y }
        return keyA.count < keyB.count
    }

    /// One run of a name: a number (digits) or text (the rest). Numbers sort before text.
    private enum NameKey: Comparable {
        case number(Int)
        case text(String)

        static func parts(of name: String) -> [NameKey] {
            var parts: [NameKey] = []
            var digits = ""
            var letters = ""
            for character in name {
                if character.isNumber {
                    if !letters.isEmpty { parts.append(.text(letters)); letters = "" }
                    digits.append(character)
                } else {
                    if !digits.isEmpty { parts.append(.number(Int(digits) ?? 0)); digits = "" }
                    letters.append(character)
                }
            }
            if !letters.isEmpty { parts.append(.text(letters)) }
            if !digits.isEmpty { parts.append(.number(Int(digits) ?? 0)) }
            return parts
        }
    }
}
