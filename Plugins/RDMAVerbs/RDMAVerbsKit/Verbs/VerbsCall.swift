#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one place where the verbs layer turns C error conventions into ``VerbsError`` and
/// retries calls interrupted by a signal (EINTR). Every wrapper in this directory goes through
/// one of these three functions.
enum VerbsCall {
    /// For functions that return 0 on success and, on failure, either an errno value (most
    /// verbs: `ibv_modify_qp`, `ibv_post_send`, `ibv_dereg_mr`...) or -1 with `errno` set.
    static func check(_ function: String, _ context: @autoclosure () -> String, _ body: () -> Int32) throws(VerbsError) {
        while true {
            errno = 0
            let rc = body()
            if rc == 0 { return }
            let code = rc == -1 ? currentErrno() : (rc > 0 ? rc : -rc)
            if code == EINTR { continue }
            throw VerbsError(function: function, errno: code, context: context())
        }
    }

    /// For functions that return a pointer, or NULL with `errno` set (`ibv_open_device`,
    /// `ibv_reg_mr`, `ibv_create_qp`...).
    static func pointer<T>(_ function: String, _ context: @autoclosure () -> String,
                           _ body: () -> UnsafeMutablePointer<T>?) throws(VerbsError) -> UnsafeMutablePointer<T> {
        while true {
            errno = 0
            if let result = body() { return result }
            let code = currentErrno()
            if code == EINTR { continue }
            throw VerbsError(function: function, errno: code, context: context())
        }
    }

    /// For functions that return a non-negative count, or a negative value (-1 with `errno`
    /// set, or a negated errno) on failure (`ibv_poll_cq`, `read`, `open`, `ioctl`...).
    static func count(_ function: String, _ context: @autoclosure () -> String, _ body: () -> Int) throws(VerbsError) -> Int {
        while true {
            errno = 0
            let rc = body()
            if rc >= 0 { return rc }
            let code = rc == -1 ? currentErrno() : Int32(clamping: -rc)
            if code == EINTR { continue }
            throw VerbsError(function: function, errno: code, context: context())
        }
    }

    /// `errno`, or EIO when the library failed without setting it.
    private static func currentErrno() -> Int32 {
        errno == 0 ? EIO : errno
    }
}
