import DMAHost

/// The `--caps` of `dmactl list`: capabilities a device must all have, by the names `list`
/// prints (copy, fill, sg, translate-identity, …) or by the operations they allow (pull, push
/// and transfer need copy; memzero needs fill; scatter-gather is sg).
struct CapabilityFilter {
    /// The capabilities required.
    let required: DMACapabilities

    /// Every name the filter accepts, for help and error messages.
    static var vocabulary: String { (DMACapabilities.all.names + aliases.map(\.0)).joined(separator: ", ") }

    private static let aliases: [(String, DMACapabilities)] = [
        ("pull", .copy), ("push", .copy), ("memzero", .fill), ("scatter-gather", .scatterGather),
    ]

    /// Parses a comma-separated list of names.
    /// - Throws: a usage failure naming the unknown name and the accepted ones.
    init(_ text: String) throws(Failure) {
        var required: DMACapabilities = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.lowercased() }) {
            if let alias = Self.aliases.first(where: { $0.0 == name }) {
                required.insert(alias.1)
            } else if let bit = DMACapabilities.all.elements.first(where: { $0.names == [name] }) {
                required.insert(bit)
            } else {
                throw Failure(.usage, "--caps: unknown capability '\(name)'; use \(Self.vocabulary)")
            }
        }
        self.required = required
    }

    /// True when `capabilities` has every required one.
    func matches(_ capabilities: DMACapabilities) -> Bool { capabilities.isSuperset(of: required) }
}

extension DMACapabilities {
    /// Every capability bit of dmahost/driver.h.
    static let all: DMACapabilities = [.copy, .fill, .scatterGather, .translateIdentity, .translateRDMA, .translateDMABuf, .transfer, .invalidate]

    /// The single-bit members, in bit order.
    var elements: [DMACapabilities] {
        (0..<64).map { DMACapabilities(rawValue: 1 << UInt64($0)) }.filter { contains($0) }
    }
}
