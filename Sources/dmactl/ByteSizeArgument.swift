import DMABench

/// Sizes on dmactl's command line: one grammar for every option (``ByteSize``).
enum ByteSizeArgument {
    /// The grammar, for `dmactl --help`.
    static let help = "\(ByteSize.grammarHelp); a fraction must come to whole bytes (1.5K); KB, MB and GB are refused as ambiguous."
}

extension ByteSize {
    /// Parses an option's value; the parser names the option in front of the message of the
    /// error thrown (exit status 2).
    @Sendable static func argument(_ text: String) throws -> ByteSize {
        try ByteSize(validating: text)
    }
}
