/// Why a sweep list (`--sizes`, `--queue-depths`) could not be read. The message names the
/// option, the part of the text that is wrong, and the accepted form.
public struct SweepListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, e.g. "--sizes: '3X' is not a size (…)".
    public let message: String

    /// Creates the error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The lists `dmactl bench` sweeps over: comma-separated items, each a value or an inclusive
/// range `LOW..HIGH` that doubles from LOW while it stays within HIGH (`64..4K` is 64, 128, …,
/// 4096). Spaces are ignored. Values keep the order written; a value given twice counts once.
///
/// Sizes use the grammar of ``ByteSize/init(parsing:)`` (`64`, `4K`, `4KiB`, `1M`); counts are
/// plain positive whole numbers.
public enum SweepList {
    /// Most values one list may produce.
    public static let maximumCount = 1024

    /// Parses a size list such as `64,4K..4M`.
    /// - Parameters:
    ///   - text: The option's argument.
    ///   - option: The option's name, for messages (e.g. `--sizes`).
    ///   - range: The sizes accepted.
    /// - Returns: The sizes in bytes, in the order written, without repeats.
    /// - Throws: ``SweepListError`` naming the option and the offending item.
    public static func sizes(_ text: String, option: String,
                             range: ClosedRange<Int> = ByteSize.benchMinimum.bytes...ByteSize.benchMaximum.bytes) throws(SweepListError) -> [Int] {
        try parse(text, option: option, range: range, describe: { ByteSize(bytes: $0).description },
                  form: "a size (64, 4K, 4KiB, 1M: units B, K/KiB, M/MiB, G/GiB) or a range LOW..HIGH such as 64..4M") {
            ByteSize(parsing: $0)?.bytes
        }
    }

    /// Parses a count list such as `1,4,16` or `1..64`.
    /// - Parameters:
    ///   - text: The option's argument.
    ///   - option: The option's name, for messages (e.g. `--queue-depths`).
    ///   - range: The counts accepted.
    /// - Returns: The counts in the order written, without repeats.
    /// - Throws: ``SweepListError`` naming the option and the offending item.
    public static func counts(_ text: String, option: String, range: ClosedRange<Int>) throws(SweepListError) -> [Int] {
        try parse(text, option: option, range: range, describe: { String($0) },
                  form: "a whole number or a range LOW..HIGH such as 1..64") { Int($0) }
    }

    private static func parse(_ text: String, option: String, range: ClosedRange<Int>, describe: (Int) -> String, form: String,
                              value: (String) -> Int?) throws(SweepListError) -> [Int] {
        let accepted = "\(describe(range.lowerBound))...\(describe(range.upperBound))"
        func read(_ item: Substring, in whole: String) throws(SweepListError) -> Int {
            guard let number = value(String(item)) else {
                throw SweepListError("\(option): '\(item)' in '\(whole)' is not \(form)")
            }
            guard range.contains(number) else {
                throw SweepListError("\(option): \(item) is outside \(accepted)")
            }
            return number
        }
        var result: [Int] = []
        var seen = Set<Int>()
        func add(_ number: Int) throws(SweepListError) {
            guard seen.insert(number).inserted else { return }
            guard result.count < maximumCount else { throw SweepListError("\(option): more than \(maximumCount) values") }
            result.append(number)
        }
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for written in items {
            // Spaces are ignored anywhere in an item.
            let item = String(written.filter { $0 != " " })
            guard !item.isEmpty else {
                throw SweepListError("\(option): empty item in '\(text)'; write values separated by commas, e.g. 64,4K..4M")
            }
            let bounds = item.split(separator: "..", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                try add(try read(item[...], in: item))
            case 2:
                let low = try read(bounds[0], in: item), high = try read(bounds[1], in: item)
                guard low <= high else {
                    throw SweepListError("\(option): range '\(item)' runs downwards; write the smaller bound first")
                }
                var next = low
                while next <= high {
                    try add(next)
                    let (doubled, overflow) = next.multipliedReportingOverflow(by: 2)
                    if overflow { break }
                    next = doubled
                }
            default:
                throw SweepListError("\(option): '\(item)' has more than one '..'; a range is LOW..HIGH")
            }
        }
        return result
    }
}
