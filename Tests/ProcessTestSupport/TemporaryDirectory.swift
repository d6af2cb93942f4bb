import Foundation

/// Temporary directories for tests that clean up after themselves: each is removed, with
/// everything in it, when the test process exits (or earlier, through `remove(_:)`).
public enum TemporaryDirectory {
    /// The directories still to remove; nil until the first one (which registers the exit
    /// handler). A class behind a lock rather than a global `Mutex`: ThreadSanitizer reported
    /// the global's formal accesses from two threads' `withLock` as a race.
    private final class Pending: @unchecked Sendable {
        // @unchecked Sendable: `paths` is read and written only with `lock` held.
        private let lock = NSLock()
        private var paths: [String]?

        func withLock<Result>(_ body: (inout [String]?) -> Result) -> Result {
            lock.lock()
            defer { lock.unlock() }
            return body(&paths)
        }
    }

    private static let pending = Pending()

    /// A new empty directory `label-XXXXXX` under the system temporary directory (`mkdtemp(3)`,
    /// mode 0700), removed when the process exits.
    public static func make(_ label: String = "dmahost-test") throws -> String {
        var template = Array((NSTemporaryDirectory() + "\(label)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestSupportError("mkdtemp \(label): \(String(cString: strerror(errno)))")
        }
        let path = String(cString: made)
        pending.withLock { list in
            if list == nil {
                list = []
                atexit { TemporaryDirectory.removeAll() }
            }
            list?.append(path)
        }
        return path
    }

    /// Removes `path` (made by `make`) and everything in it now.
    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        pending.withLock { list in list?.removeAll { $0 == path } }
    }

    /// Removes every directory still pending.
    private static func removeAll() {
        let paths = pending.withLock { list in
            defer { list = [] }
            return list ?? []
        }
        for path in paths {
            // Directories a test made unreadable or unsearchable: give the owner access back first.
            _ = chmod(path, 0o700)
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
