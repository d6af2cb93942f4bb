import CDMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file descriptor this process owns: closed exactly once, when the value is deinitialised.
public final class OwnedFileDescriptor: Sendable, CustomStringConvertible {
    /// The descriptor number.
    public let rawValue: Int32

    /// Takes ownership of `rawValue` (which must be open and not owned elsewhere).
    public init(adopting rawValue: Int32) { self.rawValue = rawValue }

    /// Opens `path` (`open(2)`, `O_CLOEXEC` added).
    /// - Parameters:
    ///   - path: The file to open.
    ///   - flags: `O_RDWR`, `O_RDONLY`...
    ///   - hint: Remedy for a given errno (e.g. which kernel option provides the node).
    public convenience init(opening path: String, flags: Int32, hint: (Int32) -> String? = { _ in nil }) throws(DMAError) {
        let fd = try SystemCall.check("open \(path)", hint: hint) { open(path, flags | O_CLOEXEC) }
        self.init(adopting: fd)
    }

    /// A new descriptor for the same open file (`fcntl(F_DUPFD_CLOEXEC)`), owned by the result.
    /// - Throws: `EBADF` as ``DMAError/system(errno:_:)`` when `fd` is not open.
    public static func duplicating(_ fd: Int32) throws(DMAError) -> OwnedFileDescriptor {
        let copy = try SystemCall.check("dup fd \(fd)", hint: { $0 == EBADF ? "fd \(fd) is not open (closed already?); pass an open descriptor" : nil }) {
            dmahost_fd_dup_cloexec(fd)
        }
        return OwnedFileDescriptor(adopting: copy)
    }

    deinit { close(rawValue) }

    public var description: String { "fd \(rawValue)" }
}

/// Checks, without side effects, that `fd` is an open descriptor (`fcntl(F_GETFD)`).
/// - Throws: ``DMAError/system(errno:_:)`` with `EBADF` and a message saying the fd is closed.
public func requireOpen(_ fd: Int32, role: String) throws(DMAError) {
    guard fd >= 0 else { throw .invalidArgument("\(role) fd \(fd) is negative; pass an open file descriptor") }
    try SystemCall.check("check \(role) fd \(fd)", hint: { $0 == EBADF ? "fd \(fd) is not open (closed already?); pass an open \(role) descriptor" : nil }) {
        dmahost_fd_get_flags(fd)
    }
}
