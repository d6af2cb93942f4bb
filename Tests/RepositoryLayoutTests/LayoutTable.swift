import Foundation

/// A row of the README's layout tables (those whose header is `Target | Folder | What`).
struct LayoutRow: Equatable, CustomStringConvertible {
    /// The target named in the first column.
    let name: String
    /// The folder of the second column, relative to the root.
    let folder: String
    /// The `###` heading the table is under.
    let section: String
    /// The line of README.md, from 1.
    let line: Int

    var description: String { "README.md:\(line): \(name) (\(folder), under \"\(section)\")" }
}

/// Reads the layout tables of README.md's `## Layout` section.
enum LayoutTable {
    /// The rows of every `Target | Folder | What` table under `## Layout`, in order.
    static func rows(in readme: String) -> [LayoutRow] {
        var rows: [LayoutRow] = []
        var inLayout = false, inTargetTable = false
        var section = ""
        for (number, rawLine) in readme.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("## ") {
                inLayout = line == "## Layout"
                inTargetTable = false
                continue
            }
            guard inLayout else { continue }
            if line.hasPrefix("### ") {
                section = String(line.dropFirst(4))
                inTargetTable = false
                continue
            }
            guard line.hasPrefix("|") else {
                inTargetTable = false
                continue
            }
            let cells = self.cells(of: line)
            if cells.first == "Target" && cells.dropFirst().first == "Folder" {
                inTargetTable = true
                continue
            }
            guard inTargetTable, cells.count >= 2, !cells[0].allSatisfy({ $0 == "-" || $0 == ":" }) else { continue }
            rows.append(LayoutRow(name: unquoted(cells[0]), folder: Manifest.normalized(unquoted(cells[1])),
                                  section: section, line: number + 1))
        }
        return rows
    }

    /// The cells of a table line, trimmed.
    static func cells(of line: String) -> [String] {
        var parts = line.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if parts.first == "" { parts.removeFirst() }
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// A cell without the backticks around it.
    static func unquoted(_ cell: String) -> String {
        cell.trimmingCharacters(in: CharacterSet(charactersIn: "` "))
    }

    /// Every difference between the manifest's targets and the table's rows: a target missing
    /// from the table, a row naming no target (or naming one twice), a folder or a section that
    /// disagrees. Empty when they agree.
    static func differences(manifest: [ManifestTarget], table: [LayoutRow]) -> [String] {
        var problems: [String] = []
        var rowsByName: [String: [LayoutRow]] = [:]
        for row in table { rowsByName[row.name, default: []].append(row) }
        for target in manifest {
            guard let rows = rowsByName[target.name] else {
                problems.append("target \(target.name) (\(target.folder)) is missing from README.md's layout table (section \"\(target.section)\")")
                continue
            }
            for row in rows {
                if row.folder != target.folder {
                    problems.append("\(row): the folder of target \(target.name) is \(target.folder) in Package.swift")
                }
                if row.section != target.section {
                    problems.append("\(row): Package.swift declares \(target.name) under \"\(target.section)\"")
                }
            }
            if rows.count > 1 {
                problems.append("target \(target.name) has \(rows.count) rows in README.md's layout table (lines \(rows.map { String($0.line) }.joined(separator: ", ")))")
            }
        }
        let names = Set(manifest.map(\.name))
        for row in table where !names.contains(row.name) {
            problems.append("\(row): no target of that name in Package.swift")
        }
        return problems
    }
}
