#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Diagnostics of the core that have no caller to return an error to (the C ABI's void
/// functions). Written as one line to standard error, prefixed "dmahost:".
enum CoreLog {
    /// Writes a warning line to standard error.
    static func warning(_ message: String) {
        let line = "dmahost: warning: \(message)\n"
        line.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
    }
}
