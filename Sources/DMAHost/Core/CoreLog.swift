import DMASync
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Diagnostics of the core that have no caller to return an error to (the C ABI's void
/// functions). Written as one line to standard error, prefixed "dmahost:".
///
/// Bounded: a caller that repeats a mistake in a loop (a hostile or broken one, or a test of
/// the refusal) must not flood the log or spend its time writing it. The first
/// ``printedPerKind`` warnings of each kind are printed; after that, one line each time the
/// count of that kind reaches a power of two says how many there were.
enum CoreLog {
    /// Warnings of one kind printed in full before they are only counted.
    static let printedPerKind = 16

    /// The number of warnings of each kind so far.
    private static let counts = Locked<[String: Int]>([:])

    /// Writes a warning line to standard error, unless warnings of `kind` (a short fixed label,
    /// such as the function that refused a call) were printed ``printedPerKind`` times already.
    static func warning(_ message: @autoclosure () -> String, kind: String) {
        let count = counts.withLock { counts -> Int in
            let count = (counts[kind] ?? 0) &+ 1
            counts[kind] = count
            return count
        }
        if count <= printedPerKind {
            emit("dmahost: warning: \(message())\(count == printedPerKind ? " (further warnings of this kind are counted, not printed)" : "")\n")
        } else if count & (count &- 1) == 0 {
            emit("dmahost: warning: \(count) warnings of the kind \"\(kind)\" so far; the first \(printedPerKind) were printed\n")
        }
    }

    /// The number of warnings of `kind` so far (printed or not).
    static func count(of kind: String) -> Int {
        counts.withLock { $0[kind] ?? 0 }
    }

    /// Writes `line` to standard error in one write(2).
    private static func emit(_ line: String) {
        line.withCString { _ = write(STDERR_FILENO, $0, strlen($0)) }
    }
}
