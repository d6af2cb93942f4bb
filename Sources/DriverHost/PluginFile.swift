internal import CDriverHostSupport
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A candidate plugin, opened and checked: the file reached from `/` one directory at a time,
/// each directory on the way and the file itself checked against ``PluginTrust``.
///
/// The walk opens every component of the canonical path relative to the descriptor of the
/// directory before it, with `O_NOFOLLOW` (directories with `O_PATH`, which needs only search
/// permission), and checks each with `fstat`. What is checked is therefore the chain actually
/// traversed: a component that became a symbolic link, or a file replaced after the search
/// resolved the path, fails the walk instead of leading somewhere else. The ELF check reads
/// this descriptor too; ``PluginImages`` then maps the file and confirms it mapped this one.
final class PluginFile {
    /// The canonical absolute path that was walked.
    let realPath: String
    /// The open file (read-only, close-on-exec).
    let descriptor: FileDescriptor
    /// Device and inode of the open file.
    let identity: FileIdentity
    /// Problems of the trust rule that `DMAHOST_ALLOW_INSECURE_PLUGINS=1` waived.
    let waivedProblems: [String]

    private init(realPath: String, descriptor: FileDescriptor, identity: FileIdentity, waivedProblems: [String]) {
        self.realPath = realPath
        self.descriptor = descriptor
        self.identity = identity
        self.waivedProblems = waivedProblems
    }

    /// Closes the file: the mapping the dynamic linker made, if any, does not need it.
    deinit { try? descriptor.close() }

    /// Why a candidate could not be opened.
    enum Failure: Error {
        /// It cannot be reached or read, or is not a regular file; the text says why.
        case unreadable(String)
        /// It, or a directory on its path, breaks the trust rule; the text names each problem and its fix.
        case untrusted(String)
    }

    /// Walks `realPath` from `/`, checks every directory and the file, and opens the file.
    /// - Parameters:
    ///   - realPath: A canonical absolute path (no `.`, `..` or symbolic links).
    ///   - trust: The rule to check against; when it is waived, problems are kept, not fatal.
    static func open(_ realPath: String, trust: PluginTrust) throws(Failure) -> PluginFile {
        guard realPath.hasPrefix("/") else { throw .unreadable("\(realPath) is not an absolute path") }
        let components = realPath.split(separator: "/").map(String.init)
        guard let name = components.last else { throw .unreadable("the path names the root directory, not a file") }
        var problems: [String] = []

        func check(_ descriptor: FileDescriptor, _ path: String, _ role: PluginTrust.Role) throws(Failure) -> Stat {
            let status: Stat
            do {
                status = try descriptor.stat()
            } catch {
                throw .unreadable("cannot stat \(path): \(error)")
            }
            if let problem = trust.problem(path, status, role) { problems.append(problem) }
            return status
        }

        var directory = FileDescriptor(rawValue: dmahost_open_directory_path(AT_FDCWD, "/"))
        guard directory.rawValue >= 0 else { throw .unreadable("cannot open /: \(Errno(rawValue: errno))") }
        defer { try? directory.close() }
        var walked = ""
        for component in components.dropLast() {
            _ = try check(directory, walked.isEmpty ? "/" : walked, .ancestor)
            walked += "/" + component
            let next = dmahost_open_directory_path(directory.rawValue, component)
            guard next >= 0 else {
                let error = Errno(rawValue: errno)
                let changed = error == .tooManySymbolicLinkLevels || error == .notDirectory
                throw .unreadable("cannot open the directory \(walked): \(error)"
                    + (changed ? " (it is no longer a directory: the path changed since it was resolved; try again)" : ""))
            }
            try? directory.close()
            directory = FileDescriptor(rawValue: next)
        }
        _ = try check(directory, walked.isEmpty ? "/" : walked, .holdingDirectory)

        var raw: CInt
        repeat {
            raw = openat(directory.rawValue, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        } while raw < 0 && errno == EINTR
        guard raw >= 0 else {
            let error = Errno(rawValue: errno)
            let changed = error == .tooManySymbolicLinkLevels ? " (it became a symbolic link since the path was resolved; try again)" : ""
            throw .unreadable("cannot open \(realPath): \(error)\(changed); check that it exists and is readable")
        }
        let file = FileDescriptor(rawValue: raw)
        let status: Stat
        do throws(Failure) {
            status = try check(file, realPath, .plugin)
            guard status.type == .regular else { throw .unreadable("\(realPath) is not a regular file") }
            if !problems.isEmpty && !trust.waived {
                throw .untrusted(problems.joined(separator: "; ") + "; " + trust.advice)
            }
        } catch {
            try? file.close()
            throw error
        }
        return PluginFile(realPath: realPath, descriptor: file, identity: FileIdentity(status), waivedProblems: problems)
    }

    /// The first `count` bytes of the file (`pread`, EINTR retried); fewer when it is shorter.
    func header(_ count: Int) throws(Errno) -> [UInt8] {
        do {
            return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = try descriptor.read(fromAbsoluteOffset: 0, into: UnsafeMutableRawBufferPointer(buffer))
            }
        } catch let error as Errno {
            throw error
        } catch {
            throw .ioError
        }
    }
}
