import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `device_selector`: DeviceSelector (Sources/DriverHost/DeviceSelector.swift), the
// parser and matcher behind `--device` (dmactl bench) and `--from`/`--to` (dmactl copy: any
// value but `system`), and EditDistance, which suggests ids for an unknown one.
//
// The input builds a device list (drivers from a small pool, some vendor devices) and a
// selection text (the rest of the input). Checked: parsing fails exactly when an item is empty
// after trimming white space and one `^`; parsed items, written back as text, parse to the same
// items; select never crashes, and its result (or its failure) is the one the documented
// grammar gives, in device-list order (the grammar splits and trims characters, i.e. grapheme
// clusters, like the parser: a `,` followed by a combining mark is no separator); suggestions are ids within the documented distance;
// the edit distance is 0 to itself, symmetric, and between |len a - len b| and max(len a, len b).

private let driverPool = ["cpu", "rdma", "dmaengine", "vendor-c", "vendor", "a", "a:b", "x y", "cpu2"]

/// The items of `text` as the grammar defines them; nil when an item is empty.
private func modelItems(_ text: String) -> [DeviceSelector.Item]? {
    func trim(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return text[first...last]
    }
    var items: [DeviceSelector.Item] = []
    for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
        var item = trim(raw)
        let excludes = item.first == "^"
        if excludes { item = trim(item.dropFirst()) }
        guard !item.isEmpty else { return nil }
        let pattern: DeviceSelector.Pattern =
            if item.contains(where: { "*?[".contains($0) }) { .glob(String(item)) }
            else if item.last == ":" { .driver(String(item.dropLast())) }
            else { .exact(String(item)) }
        items.append(DeviceSelector.Item(pattern: pattern, excludes: excludes))
    }
    return items
}

/// The text of parsed items, and whether its characters are those of the parts: a part that
/// starts with a combining mark merges with the `,` or `^` before it into one character, which
/// the parser (it splits characters) then no longer sees as a separator.
private func text(of items: [DeviceSelector.Item]) -> (text: String, isFaithful: Bool) {
    var characters = max(0, items.count - 1)
    let text = items.map { item in
        let body = switch item.pattern {
        case .exact(let id): id
        case .driver(let name): name + ":"
        case .glob(let pattern): pattern
        }
        characters += body.count + (item.excludes ? 1 : 0)
        return (item.excludes ? "^" : "") + body
    }.joined(separator: ",")
    return (text, text.count == characters)
}

/// The selection the grammar gives; nil when it is an error.
private func modelSelect(_ items: [DeviceSelector.Item], ids: [String], drivers: [String], vendorIDs: Set<String>) -> [String]? {
    var chosen = Set<String>()
    if items.first?.excludes == true { chosen = Set(ids) }
    for item in items {
        var matched: [String]
        switch item.pattern {
        case .exact(let id):
            if ids.contains(id) { matched = [id] }
            else if drivers.contains(id) { matched = ids.filter { $0.hasPrefix(id + ":") } }
            else { return nil }
        case .driver(let name):
            if drivers.contains(name) {
                matched = ids.filter { $0.hasPrefix(name + ":") }
                if matched.isEmpty && !item.excludes { return nil }
            } else if name == "vendor" {
                matched = ids.filter { vendorIDs.contains($0) }
            } else if item.excludes {
                matched = []
            } else {
                return nil
            }
        case .glob(let pattern):
            matched = ids.filter { fnmatch(pattern, $0, 0) == 0 }
            if matched.isEmpty && !item.excludes { return nil }
        }
        if item.excludes { chosen.subtract(matched) } else { chosen.formUnion(matched) }
    }
    let result = ids.filter { chosen.contains($0) }
    return result.isEmpty ? nil : result
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeviceSelector(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var drivers: [String] = []
    var ids: [String] = []
    var vendorIDs = Set<String>()
    for _ in 0..<input.int(in: 0...4) {
        let driver = driverPool[input.int(in: 0...(driverPool.count - 1))]
        if !drivers.contains(driver) { drivers.append(driver) }
        for number in 0..<input.int(in: 0...3) {
            let id = "\(driver):\(number)"
            if !ids.contains(id) { ids.append(id) }
            if driver.hasPrefix("vendor") || input.byte() % 4 == 0 { vendorIDs.insert(id) }
        }
    }
    let selection = String(decoding: input.rest(), as: UTF8.self)

    let expectedItems = modelItems(selection)
    let selector: DeviceSelector
    do throws(DMAError) {
        selector = try DeviceSelector(selection)
    } catch {
        require(expectedItems == nil, "'\(selection)' refused (\(error)), the grammar gives \(String(describing: expectedItems))")
        return 0
    }
    require(selector.items == expectedItems, "'\(selection)' parsed as \(selector.items), the grammar gives \(String(describing: expectedItems))")
    let (written, isFaithful) = text(of: selector.items)
    if isFaithful {
        do throws(DMAError) {
            let reparsed = try DeviceSelector(written)
            require(reparsed.items == selector.items, "'\(written)' (written from '\(selection)') parses to \(reparsed.items)")
        } catch {
            require(false, "'\(written)' (written from '\(selection)') does not parse: \(error)")
        }
    }

    let expected = modelSelect(selector.items, ids: ids, drivers: drivers, vendorIDs: vendorIDs)
    do throws(DMAError) {
        let chosen = try selector.select(from: ids, driverNames: drivers, vendorIDs: vendorIDs)
        require(chosen == expected, "'\(selection)' on \(ids) selects \(chosen), the grammar gives \(String(describing: expected))")
    } catch {
        require(expected == nil, "'\(selection)' on \(ids) fails (\(error)), the grammar gives \(String(describing: expected))")
    }

    let probe = String(selection.prefix(40))
    let suggestions = DeviceSelector.suggestions(for: probe, among: ids)
    require(suggestions.count <= 3 && suggestions.allSatisfy(ids.contains), "suggestions \(suggestions) for '\(probe)'")
    for id in suggestions {
        require(EditDistance.levenshtein(probe, id) <= max(2, probe.count / 3), "suggestion '\(id)' too far from '\(probe)'")
    }
    if let other = ids.first {
        let distance = EditDistance.levenshtein(probe, other)
        require(distance == EditDistance.levenshtein(other, probe), "edit distance not symmetric: '\(probe)', '\(other)'")
        require(distance >= abs(probe.count - other.count) && distance <= max(probe.count, other.count),
                "edit distance \(distance) between '\(probe)' and '\(other)' out of bounds")
    }
    require(EditDistance.levenshtein(probe, probe) == 0, "edit distance of '\(probe)' to itself")
    return 0
}
