#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A non-blocking pipe that wakes the completion thread out of `poll(2)`: ``signal()`` from
/// any thread, ``drain()`` from the completion thread. Closed when the last reference goes away.
final class WakeupPipe: Sendable {
    /// The end to poll for readability.
    let readEnd: Int32
    private let writeEnd: Int32

    /// Creates the pipe (`pipe`, `fcntl` O_NONBLOCK | FD_CLOEXEC on both ends).
    init() throws(VerbsError) {
        var fds: [Int32] = [-1, -1]
        _ = try VerbsCall.count("pipe", "creating the completion thread's wake-up pipe") { Int(pipe(&fds)) }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Makes ``readEnd`` readable. A full pipe already is, so EAGAIN is ignored.
    func signal() {
        var byte: UInt8 = 1
        while write(writeEnd, &byte, 1) < 0, errno == EINTR {}
    }

    /// Empties the pipe.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 { continue }
            if count < 0, errno == EINTR { continue }
            return
        }
    }
}
