import Foundation

/// The files of this repository, found from this source file's own path.
struct Repository {
    /// The repository root (the directory holding Package.swift), without a trailing slash.
    let root: String

    /// The repository holding this test's source (`Tests/RepositoryLayoutTests/` of it).
    static let current = Repository(root: URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)

    /// The text of the file at `path` (relative to the root).
    func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// Whether a file or directory exists at `path` (relative to the root).
    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + path)
    }

    /// Whether `path` (relative to the root) is a directory.
    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &directory) && directory.boolValue
    }

    /// The files under `folder` (relative to the root, sorted), whose names end in one of
    /// `suffixes`; hidden entries (`.build`, `.git`) and the folders in `skipping` are not entered.
    func files(under folder: String, endingIn suffixes: [String], skipping: Set<String> = []) -> [String] {
        var found: [String] = []
        var pending = [folder]
        while let current = pending.popLast() {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + current)) ?? []
            for name in entries where !name.hasPrefix(".") {
                let path = current.isEmpty ? name : current + "/" + name
                if isDirectory(path) {
                    if !skipping.contains(path) { pending.append(path) }
                } else if suffixes.contains(where: { name.hasSuffix($0) }) {
                    found.append(path)
                }
            }
        }
        return found.sorted()
    }
}
