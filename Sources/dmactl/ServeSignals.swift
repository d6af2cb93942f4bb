#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The signals `dmactl serve` answers (SIGUSR1: print the clients; SIGINT, SIGTERM: print
/// them and exit), turned into bytes on a pipe by an async-signal-safe handler, so that the
/// command reads them in order on its own thread.
enum ServeSignals {
    /// The pipe's write end. Written once by ``install()`` before any handler is installed,
    /// only read afterwards (by the handler): no data race.
    nonisolated(unsafe) private static var writeEnd: Int32 = -1

    /// Installs the handlers; returns the pipe's read end.
    static func install() throws(Failure) -> Int32 {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw Failure(.failed, "pipe: \(String(cString: strerror(errno)))") }
        writeEnd = ends[1]
        for signal in [SIGUSR1, SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(ServeSignals.writeEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
        return ends[0]
    }

    /// Waits for the next signal; nil when the pipe fails.
    static func next(from readEnd: Int32) -> Int32? {
        var byte: UInt8 = 0
        while true {
            let count = read(readEnd, &byte, 1)
            if count == 1 { return Int32(byte) }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }
}
