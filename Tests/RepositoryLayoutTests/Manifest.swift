import Foundation

/// A target as Package.swift declares it.
struct ManifestTarget: Equatable, CustomStringConvertible {
    /// The target's name.
    let name: String
    /// `target`, `systemLibrary`, `executableTarget` or `testTarget`.
    let kind: String
    /// Its folder relative to the repository root: its `path:` argument (a `backendPath(…)` call
    /// resolved), else `Sources/<name>`, or `Tests/<name>` for a test target.
    let folder: String
    /// The `// MARK: -` section the declaration is in.
    let section: String

    var description: String { "\(name) (\(folder), section \"\(section)\")" }
}

/// Reads the target declarations of Package.swift without running it.
enum Manifest {
    /// What reading the manifest can run into.
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// The calls of `PackageDescription` that declare a target.
    static let targetKinds = ["target", "systemLibrary", "executableTarget", "testTarget", "binaryTarget", "plugin", "macro"]

    /// Every target declared in `manifest` (the text of Package.swift), in declaration order.
    static func targets(in manifest: String) throws(ParseError) -> [ManifestTarget] {
        let (code, marks) = strippingComments(manifest)
        let backendPath = try backendPathTemplate(in: code)
        var targets: [ManifestTarget] = []
        var index = code.startIndex
        while let call = nextTargetCall(in: code, from: index) {
            index = call.end
            let arguments = topLevelArguments(String(code[call.argumentsRange]))
            guard let nameArgument = arguments["name"], let name = stringLiteral(nameArgument) else {
                throw ParseError(description: "a .\(call.kind)( declaration without a literal name: \(code[call.argumentsRange].prefix(80))")
            }
            let folder: String
            if let pathArgument = arguments["path"] {
                if let literal = stringLiteral(pathArgument) {
                    folder = literal
                } else if let resolved = resolve(pathArgument, template: backendPath) {
                    folder = resolved
                } else {
                    throw ParseError(description: "\(name): cannot resolve path: \(pathArgument)")
                }
            } else {
                folder = (call.kind == "testTarget" ? "Tests/" : "Sources/") + name
            }
            let section = marks.last { $0.offset <= code.distance(from: code.startIndex, to: call.start) }?.title ?? ""
            targets.append(ManifestTarget(name: name, kind: call.kind, folder: normalized(folder), section: section))
        }
        return targets
    }

    /// A folder path without `./` in front or `/` behind.
    static func normalized(_ folder: String) -> String {
        var folder = Substring(folder)
        while folder.hasPrefix("./") { folder = folder.dropFirst(2) }
        while folder.hasSuffix("/") { folder = folder.dropLast() }
        return String(folder)
    }

    /// `text` with every comment blanked out (string literals kept), and the titles of the
    /// `// MARK: - ` comments with their offsets in characters.
    static func strippingComments(_ text: String) -> (code: String, marks: [(offset: Int, title: String)]) {
        var code = ""
        var marks: [(offset: Int, title: String)] = []
        var offset = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var inString = false, escaped = false
            var commentStart: Substring.Index?
            var previous: Character = " "
            for position in line.indices {
                let character = line[position]
                if inString {
                    if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                } else if character == "\"" {
                    inString = true
                } else if character == "/" && previous == "/" {
                    commentStart = line.index(before: position)
                    break
                }
                previous = character
            }
            var kept = line[...]
            if let commentStart {
                let comment = line[commentStart...].dropFirst(2).trimmingCharacters(in: .whitespaces)
                if comment.hasPrefix("MARK: - ") {
                    marks.append((offset, String(comment.dropFirst("MARK: - ".count))))
                }
                kept = line[..<commentStart]
            }
            let blanked = String(kept) + String(repeating: " ", count: line.count - kept.count)
            code += blanked + "\n"
            offset += blanked.count + 1
        }
        return (code, marks)
    }

    /// The string `backendPath(_:_:)` returns, with `\(…)` of its two parameters in it.
    private static func backendPathTemplate(in code: String) throws(ParseError) -> (first: String, second: String, body: String)? {
        let pattern = #/func\s+backendPath\(\s*_\s+(\w+)\s*:\s*String\s*,\s*_\s+(\w+)\s*:\s*String\s*\)\s*->\s*String\s*\{\s*(?:return\s+)?"([^"]*)"\s*\}/#
        guard code.contains("backendPath") else { return nil }
        guard let match = code.firstMatch(of: pattern) else {
            throw ParseError(description: "backendPath(_:_:) is no longer one string literal; teach Manifest.swift its new form")
        }
        return (String(match.1), String(match.2), String(match.3))
    }

    /// `backendPath("A", "B")` as the folder it names.
    private static func resolve(_ argument: String, template: (first: String, second: String, body: String)?) -> String? {
        guard let template,
              let match = argument.wholeMatch(of: #/\s*backendPath\(\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\)\s*/#) else { return nil }
        return template.body
            .replacingOccurrences(of: "\\(\(template.first))", with: String(match.1))
            .replacingOccurrences(of: "\\(\(template.second))", with: String(match.2))
    }

    /// The next `.target(` (or another kind) call from `index`: where it starts, its kind, the
    /// range of its arguments and the index after its closing parenthesis.
    private static func nextTargetCall(in code: String, from index: String.Index)
        -> (start: String.Index, kind: String, argumentsRange: Range<String.Index>, end: String.Index)? {
        var searchFrom = index
        while let match = code[searchFrom...].firstMatch(of: #/\.(\w+)\(/#) {
            searchFrom = match.range.upperBound
            let kind = String(match.1)
            guard targetKinds.contains(kind) else { continue }
            var depth = 1, inString = false, escaped = false
            var position = match.range.upperBound
            while position < code.endIndex {
                let character = code[position]
                if inString {
                    if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                } else if character == "\"" {
                    inString = true
                } else if character == "(" || character == "[" {
                    depth += 1
                } else if character == ")" || character == "]" {
                    depth -= 1
                    if depth == 0 { break }
                }
                position = code.index(after: position)
            }
            guard position < code.endIndex else { return nil }
            return (match.range.lowerBound, kind, match.range.upperBound..<position, code.index(after: position))
        }
        return nil
    }

    /// The labelled arguments of a call, split at the commas outside brackets and strings.
    static func topLevelArguments(_ arguments: String) -> [String: String] {
        var parts: [String] = [], current = ""
        var depth = 0, inString = false, escaped = false
        for character in arguments {
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "(" || character == "[" {
                depth += 1
            } else if character == ")" || character == "]" {
                depth -= 1
            } else if character == "," && depth == 0 {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        var labelled: [String: String] = [:]
        for part in parts {
            guard let colon = part.firstIndex(of: ":") else { continue }
            let label = part[..<colon].trimmingCharacters(in: .whitespacesAndNewlines)
            if labelled[label] == nil {
                labelled[label] = part[part.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return labelled
    }

    /// The contents of a plain string literal (`"…"` without interpolation), or nil.
    static func stringLiteral(_ expression: String) -> String? {
        guard let match = expression.wholeMatch(of: #/\s*"([^"\\]*)"\s*/#) else { return nil }
        return String(match.1)
    }
}
