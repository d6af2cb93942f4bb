#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file-system queries the plugin search needs, each a thin wrapper over one libc call
/// with `errno` turned into a message.
enum FileSystem {
    /// What a path names (`stat(2)`, following symlinks).
    enum Kind: Equatable {
        case file, directory, other
        case missing(String)
    }

    /// Classifies `path` with `stat(2)`.
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing(String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The canonical absolute path (`realpath(3)`), or nil when it cannot be resolved.
    static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` made absolute without touching the file system beyond `getcwd(3)`: a relative
    /// path is taken from the current directory, and empty and `.` components are dropped
    /// (`..` is kept: only `realpath` can resolve it correctly across symbolic links).
    /// Returns `path` unchanged when the current directory cannot be determined.
    static func absolute(_ path: String) -> String {
        var full = path
        if !path.hasPrefix("/") {
            guard let directory = getcwd(nil, 0) else { return path }
            full = String(cString: directory) + "/" + path
            free(directory)
        }
        let components = full.split(separator: "/").filter { $0 != "." }
        return "/" + components.joined(separator: "/")
    }

    /// The names in a directory (`opendir(3)`/`readdir(3)`), sorted, without "." and "..".
    /// - Throws: the `strerror` text when the directory cannot be read.
    static func entries(of directory: String) throws(FileSystemError) -> [String] {
        guard let stream = opendir(directory) else { throw FileSystemError(message: String(cString: strerror(errno))) }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw FileSystemError(message: String(cString: strerror(errno))) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The directory part of a path ("/a/b/c" → "/a/b", "c" → ".").
    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = path[..<slash]
        return head.isEmpty ? "/" : String(head)
    }

    /// Joins a directory and a name.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// A file-system call failed; `message` is the `strerror` text.
struct FileSystemError: Error {
    var message: String
}
