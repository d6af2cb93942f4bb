import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the engine's messages go: the host log once the driver installed a sink
/// (``install(_:)``), standard error before that.
public enum EngineLog {
    private static let sink = Locked<(@Sendable (String) -> Void)?>(nil)

    /// Routes messages to `handler` (the driver passes the host's log function).
    public static func install(_ handler: @escaping @Sendable (String) -> Void) {
        sink.withLock { $0 = handler }
    }

    /// Sends one message.
    static func emit(_ message: String) {
        if let handler = sink.withLock({ $0 }) {
            handler(message)
        } else {
            let line = "dmahost-rdma: \(message)\n"
            _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        }
    }
}
