import Foundation

/// What the sources of one folder import: Swift modules and C headers.
enum Imports {
    /// The modules a Swift file imports (`import X`, `@testable import X`, `import struct X.Y`…),
    /// with their line numbers from 1.
    static func swiftModules(in text: String) -> [(line: Int, module: String)] {
        let pattern = #/^\s*(?:@[\w]+(?:\([^)]*\))?\s+)*import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)/#
        var found: [(line: Int, module: String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let match = line.prefixMatch(of: pattern) { found.append((number + 1, String(match.1))) }
        }
        return found
    }

    /// The headers a C file includes (`#include "x.h"` or `<x.h>`), with their line numbers from 1.
    static func cHeaders(in text: String) -> [(line: Int, header: String)] {
        let pattern = #/^\s*#\s*include\s*[<"]([^>"]+)[>"]/#
        var found: [(line: Int, header: String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let match = line.prefixMatch(of: pattern) { found.append((number + 1, String(match.1))) }
        }
        return found
    }

    /// Every place where a file under `Sources/` depends on a module or header under `Plugins/`:
    /// a Swift import of a target whose folder is under `Plugins/`, or a C include that names a
    /// path under `Plugins/` or a header that only `Plugins/` has.
    static func pluginDependencies(of repository: Repository, targets: [ManifestTarget]) throws -> [String] {
        var problems: [String] = []
        let pluginModules = Dictionary(targets.filter { $0.folder.hasPrefix("Plugins/") }.map { ($0.name, $0.folder) },
                                       uniquingKeysWith: { first, _ in first })
        for file in repository.files(under: "Sources", endingIn: [".swift"]) {
            for (line, module) in swiftModules(in: try repository.read(file)) {
                if let folder = pluginModules[module] {
                    problems.append("\(file):\(line) imports \(module), a module of \(folder): host modules never import a plugin's")
                }
            }
        }
        let pluginHeaders = repository.files(under: "Plugins", endingIn: [".h"])
        let sourceHeaders = repository.files(under: "Sources", endingIn: [".h"])
        for file in repository.files(under: "Sources", endingIn: [".c", ".h", ".modulemap"]) {
            for (line, header) in cHeaders(in: try repository.read(file)) {
                let suffix = "/" + header
                if header.contains("Plugins/") {
                    problems.append("\(file):\(line) includes \(header), a path under Plugins/")
                } else if let owner = pluginHeaders.first(where: { $0.hasSuffix(suffix) }),
                          !sourceHeaders.contains(where: { $0.hasSuffix(suffix) }) {
                    problems.append("\(file):\(line) includes \(header), which only \(owner) provides")
                }
            }
        }
        return problems
    }
}

/// Paths that the Markdown documents name, checked against the tree.
enum DocumentPaths {
    /// The top-level folders and files a path in a document may start from.
    static let rootEntries = ["Sources", "Plugins", "Tests", "Benchmarks", "Fuzz", "Scripts", "Templates", "Package.swift",
                              "README.md", "CONTRIBUTING.md", "INSTALL.md"]

    /// The paths a Markdown text names: spans in backticks that contain a `/` and no spaces,
    /// link targets, and in fenced code blocks the words that start with a top-level folder.
    static func candidates(in text: String) -> [(line: Int, path: String, isLink: Bool)] {
        var found: [(line: Int, path: String, isLink: Bool)] = []
        var fenced = false
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                fenced.toggle()
                continue
            }
            if fenced {
                for word in line.split(whereSeparator: { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "=" })
                where rootEntries.contains(where: { word.hasPrefix($0 + "/") }) {
                    found.append((number + 1, String(word), false))
                }
                continue
            }
            for match in line.matches(of: #/`([^`\s]+/[^`\s]*)`/#) {
                found.append((number + 1, String(match.1), false))
            }
            for match in line.matches(of: #/\]\(([^)\s#]+)(?:#[^)]*)?\)/#) {
                found.append((number + 1, String(match.1), true))
            }
        }
        return found
    }

    /// Whether a candidate is a placeholder or pattern rather than one path: globs, `<name>`,
    /// `…`, shell variables, upper-case placeholders (`TARGET`), URLs and absolute or hidden paths.
    static func isPattern(_ path: String) -> Bool {
        if path.contains("://") || path.hasPrefix("/") || path.hasPrefix(".") || path.hasPrefix("-") { return true }
        if path.contains(where: { "*?<>…${}|[]".contains($0) }) { return true }
        return path.split(separator: "/").contains { component in
            ["TARGET", "KIND", "NAME"].contains(String(component.split(separator: ".").first ?? component))
        }
    }

    /// Every path named in a Markdown file of the repository that does not exist. A path is
    /// taken from the root when its first component is there, else from the document's folder
    /// when its first component is there (link targets always from the document's folder);
    /// `dmahost/…` and `spdk/…` name public headers of Sources/CDMAHostABI/include. Other
    /// words with a `/` (`linux/idxd.h`, `copy|fill`) are not paths of this repository.
    static func missing(in repository: Repository) throws -> [String] {
        var problems: [String] = []
        for document in repository.files(under: "", endingIn: [".md"], skipping: ["Fuzz/Corpus"]) {
            let folder = document.split(separator: "/").dropLast().joined(separator: "/")
            let prefix = folder.isEmpty ? "" : folder + "/"
            for (line, rawPath, isLink) in candidates(in: try repository.read(document)) {
                let path = rawPath.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:)"))
                guard !isPattern(path) else { continue }
                let first = String(path.split(separator: "/").first ?? "")
                let resolved: String?
                if isLink {
                    resolved = prefix + path
                } else if repository.exists(first) {
                    resolved = path
                } else if !folder.isEmpty && repository.exists(prefix + first) {
                    resolved = prefix + path
                } else if first == "dmahost" || first == "spdk" {
                    resolved = "Sources/CDMAHostABI/include/" + path
                } else {
                    resolved = nil
                }
                if let resolved, !repository.exists(Manifest.normalized(resolved)) {
                    problems.append("\(document):\(line) names \(rawPath), which does not exist (\(resolved))")
                }
            }
        }
        return problems
    }
}
