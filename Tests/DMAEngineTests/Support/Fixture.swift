#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory tree for sysfs/dev fixtures, removed when released.
final class Fixture {
    /// Absolute root of the tree.
    let root: String

    init() throws {
        var template = Array("/tmp/dmahost-fixture-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError.failed("mkdtemp") }
        root = String(cString: made)
    }

    deinit { Fixture.remove(root) }

    /// Writes `contents` to `path` (relative to the root), creating directories.
    func write(_ path: String, _ contents: String) throws {
        let full = "\(root)/\(path)"
        try makeDirectories(parent(of: full))
        guard let file = fopen(full, "w") else { throw FixtureError.failed("fopen \(full)") }
        fputs(contents, file)
        fclose(file)
    }

    /// Creates a symbolic link at `path` (relative) pointing to `target` (as given).
    func link(_ path: String, to target: String) throws {
        let full = "\(root)/\(path)"
        try makeDirectories(parent(of: full))
        guard symlink(target, full) == 0 else { throw FixtureError.failed("symlink \(full)") }
    }

    /// Creates a directory (and its parents).
    func directory(_ path: String) throws { try makeDirectories("\(root)/\(path)") }

    private func parent(of path: String) -> String {
        String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }

    private func makeDirectories(_ path: String) throws {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/\(part)"
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw FixtureError.failed("mkdir \(current)") }
        }
    }

    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if let directory = opendir(path) {
                var names: [String] = []
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(directory)
                for name in names { remove("\(path)/\(name)") }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

enum FixtureError: Error { case failed(String) }
