import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a work completion's status (`enum ibv_wc_status`) is reported to a completion callback.
public enum CompletionStatus {
    /// The value handed to `spdk_memory_domain_data_cpl_cb`: 0 for success, otherwise a
    /// negated errno:
    /// - remote access error (bad rkey, range or rights at the responder) → -EACCES
    /// - local protection error (bad lkey or range) → -EFAULT
    /// - transport retries or RNR retries exhausted → -ETIMEDOUT
    /// - flushed because the queue pair entered the error state → -ECANCELED
    /// - anything else → -EIO
    public static func errno(for status: ibv_wc_status) -> Int32 {
        switch status {
        case IBV_WC_SUCCESS: 0
        case IBV_WC_REM_ACCESS_ERR: -EACCES
        case IBV_WC_LOC_PROT_ERR: -EFAULT
        case IBV_WC_RETRY_EXC_ERR, IBV_WC_RNR_RETRY_EXC_ERR: -ETIMEDOUT
        case IBV_WC_WR_FLUSH_ERR: -ECANCELED
        default: -EIO
        }
    }

    /// The provider's name for a status (`ibv_wc_status_str`), for logs.
    public static func name(of status: ibv_wc_status) -> String {
        ibv_wc_status_str(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
    }

    /// Which of two errors an operation reports when several of its requests failed: a real
    /// error wins over a flush (-ECANCELED), otherwise the first one stays.
    public static func merge(_ current: Int32, _ new: Int32) -> Int32 {
        if current == 0 { return new }
        if current == -ECANCELED, new != 0, new != -ECANCELED { return new }
        return current
    }
}
