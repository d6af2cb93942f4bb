import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one place where a C `-1`/`errno` result becomes a typed ``DMAError``.
///
/// Every wrapper in this module calls the kernel through ``SystemCall/check(_:hint:_:)``:
/// it retries `EINTR`, and turns any other failure into the ``DMAError`` case of that errno,
/// with a message naming the operation and, when the caller gives one, what to do about it.
public enum SystemCall {
    /// Runs `body` until it returns something other than -1 with `errno == EINTR`.
    /// - Parameters:
    ///   - operation: What was attempted, e.g. `"ioctl(UDMABUF_CREATE) on /dev/udmabuf"`.
    ///   - hint: Given the errno, an optional remedy appended to the message.
    ///   - body: The system call; returns -1 and sets `errno` on failure.
    /// - Returns: The call's result (not -1).
    @discardableResult
    public static func check<Result: BinaryInteger>(
        _ operation: @autoclosure () -> String,
        hint: (Int32) -> String? = { _ in nil },
        _ body: () -> Result
    ) throws(DMAError) -> Result {
        while true {
            let rc = body()
            if rc != -1 { return rc }
            let code = errno
            if code == EINTR { continue }
            throw error(errno: code, operation: operation(), hint: hint(code))
        }
    }

    /// Builds the error for `errno` after `operation` failed: "operation: strerror[; hint]".
    public static func error(errno code: Int32, operation: String, hint: String?) -> DMAError {
        let base = DMAError(errno: code, context: operation)
        guard let hint, !hint.isEmpty else { return base }
        return base.appending(hint)
    }
}

extension DMAError {
    /// The same error with `text` appended to its message ("message; text").
    public func appending(_ text: String) -> DMAError {
        let message = "\(self.message); \(text)"
        switch self {
        case .invalidArgument: return .invalidArgument(message)
        case .outOfMemory: return .outOfMemory(message)
        case .notSupported: return .notSupported(message)
        case .tryAgain: return .tryAgain(message)
        case .noDevice: return .noDevice(message)
        case .ioError: return .ioError(message)
        case .cancelled: return .cancelled(message)
        case .system(let code, _): return .system(errno: code, message)
        }
    }
}
