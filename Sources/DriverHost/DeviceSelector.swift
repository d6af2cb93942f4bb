import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A device selection such as `cpu:*,^cpu:1`, parsed once and applied to a device list.
///
/// Grammar: items separated by commas; an item starting with `^` removes what it matches,
/// any other item adds it. Items are applied left to right; when the first item is an
/// exclusion, the selection starts from every device. An item is
/// - an exact device id: `cpu:0`, `rdma:rxe0`;
/// - a driver prefix, `<driver>:` (or the bare driver name): every device of that driver;
///   `vendor:` selects every device of a vendor type (1000–1999) unless a driver is named
///   "vendor";
/// - a shell-style glob (`*`, `?`, `[...]`, matched with `fnmatch(3)`): `cpu:*`, `*:0`.
///
/// The result keeps the order of the device list. An unknown exact id is an error that
/// names the closest existing ids; so is an added glob or prefix that matches nothing, and an
/// empty result.
public struct DeviceSelector: Sendable, Hashable {
    /// One item of a selection.
    public enum Pattern: Sendable, Hashable {
        /// An exact id.
        case exact(String)
        /// All devices of a driver (`name:` or `name`).
        case driver(String)
        /// A glob for `fnmatch(3)`.
        case glob(String)
    }

    /// One item: a pattern and whether it excludes.
    public struct Item: Sendable, Hashable {
        /// What the item matches.
        public var pattern: Pattern
        /// True for `^`-items.
        public var excludes: Bool
    }

    /// The text given.
    public let text: String
    /// The parsed items, in order.
    public let items: [Item]

    /// Parses a selection.
    /// - Throws: ``DMAError/invalidArgument(_:)`` for an empty selection or item.
    public init(_ text: String) throws(DMAError) {
        self.text = text
        var items: [Item] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            var item = raw.trimmingWhitespace()
            let excludes = item.hasPrefix("^")
            if excludes { item = String(item.dropFirst()).trimmingWhitespace() }
            guard !item.isEmpty else {
                throw .invalidArgument("device selection '\(text)' has an empty item; write ids, 'driver:' prefixes or globs separated by commas, e.g. 'cpu:*,^cpu:1'")
            }
            let pattern: Pattern
            if item.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
                pattern = .glob(item)
            } else if item.hasSuffix(":") {
                pattern = .driver(String(item.dropLast()))
            } else {
                pattern = .exact(item)
            }
            items.append(Item(pattern: pattern, excludes: excludes))
        }
        self.items = items
    }

    /// Applies the selection.
    /// - Parameters:
    ///   - ids: Every device id, in order.
    ///   - driverNames: Names of the loaded drivers (for `driver:` items and messages).
    ///   - vendorIDs: Ids of devices with a vendor type (for `vendor:`).
    /// - Returns: The selected ids, in the order of `ids`.
    public func select(from ids: [String], driverNames: [String], vendorIDs: Set<String> = []) throws(DMAError) -> [String] {
        var chosen = Set<String>()
        if items.first?.excludes == true { chosen = Set(ids) }
        for item in items {
            let matched = try matches(item, ids: ids, driverNames: driverNames, vendorIDs: vendorIDs)
            if item.excludes { chosen.subtract(matched) } else { chosen.formUnion(matched) }
        }
        let result = ids.filter { chosen.contains($0) }
        guard !result.isEmpty else {
            throw .noDevice("device selection '\(text)' selects no device; devices: \(Self.listing(ids))")
        }
        return result
    }

    private func matches(_ item: Item, ids: [String], driverNames: [String], vendorIDs: Set<String>) throws(DMAError) -> [String] {
        switch item.pattern {
        case .exact(let id):
            if ids.contains(id) { return [id] }
            if driverNames.contains(id) { return ids.filter { $0.hasPrefix(id + ":") } }
            throw Self.unknownDevice(id, among: ids)
        case .driver(let name):
            if !driverNames.contains(name) && name == "vendor" { return ids.filter { vendorIDs.contains($0) } }
            guard driverNames.contains(name) else {
                if item.excludes { return [] }
                throw .noDevice("no driver '\(name)' is loaded (loaded: \(driverNames.isEmpty ? "none" : driverNames.joined(separator: ", "))); `dmactl doctor` says why a driver is missing")
            }
            let found = ids.filter { $0.hasPrefix(name + ":") }
            if found.isEmpty && !item.excludes {
                throw .noDevice("driver '\(name)' found no device; `dmactl doctor` shows what it checked")
            }
            return found
        case .glob(let pattern):
            let found = ids.filter { fnmatch(pattern, $0, 0) == 0 }
            if found.isEmpty && !item.excludes {
                throw .noDevice("'\(pattern)' matches no device; devices: \(Self.listing(ids))")
            }
            return found
        }
    }

    /// The error for an unknown id, naming the closest existing ids ("did you mean").
    public static func unknownDevice(_ id: String, among ids: [String]) -> DMAError {
        guard !ids.isEmpty else {
            return .noDevice("no device '\(id)': no devices are available; `dmactl doctor` says why")
        }
        let close = suggestions(for: id, among: ids)
        let hint = close.isEmpty ? "devices: \(listing(ids))" : "did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?"
        return .noDevice("no device '\(id)'; \(hint)")
    }

    /// Up to `limit` ids closest to `id` by edit distance, nearest first, within a distance of
    /// max(2, a third of the length).
    public static func suggestions(for id: String, among ids: [String], limit: Int = 3) -> [String] {
        let threshold = max(2, id.count / 3)
        var scored: [(id: String, distance: Int)] = []
        for candidate in ids {
            let distance = EditDistance.levenshtein(id, candidate)
            if distance <= threshold { scored.append((candidate, distance)) }
        }
        scored.sort { left, right in
            left.distance != right.distance ? left.distance < right.distance : left.id < right.id
        }
        return scored.prefix(limit).map(\.id)
    }

    private static func listing(_ ids: [String]) -> String {
        guard !ids.isEmpty else { return "none" }
        let shown = ids.prefix(12).joined(separator: ", ")
        return ids.count > 12 ? shown + ", … (\(ids.count) in all)" : shown
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String { self[...].trimmingWhitespace() }
}
