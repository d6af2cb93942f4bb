import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The default bound of pinned (registered) memory of a device's registration cache.
///
/// `ibv_reg_mr` pins pages and the kernel charges them to `RLIMIT_MEMLOCK` unless the process
/// has `CAP_IPC_LOCK`. A cache that registered up to the limit would leave nothing for queue
/// buffers, translations into foreign protection domains or other devices, so the default is
/// half the soft limit where it applies, and 1 GiB where it does not (unlimited, or
/// `CAP_IPC_LOCK`).
public enum PinnedMemoryLimit {
    /// The bound when the limit does not apply.
    public static let unlimitedDefault: UInt = 1 << 30

    /// Half of `RLIMIT_MEMLOCK` (at least one page) when the process is subject to it, else 1 GiB.
    public static func defaultBytes() -> UInt {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &limit) == 0,
              limit.rlim_cur != rlim_t.max, !hasIPCLockCapability() else { return unlimitedDefault }
        return max(UInt(limit.rlim_cur / 2), 4096)
    }

    /// Whether `CAP_IPC_LOCK` (bit 14) is in the effective set (`CapEff` of `/proc/self/status`).
    static func hasIPCLockCapability() -> Bool {
        guard let status = SystemFiles.readSmallFile("/proc/self/status") else { return geteuid() == 0 }
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard fields.first == "CapEff:" else { continue }
            guard fields.count == 2, let mask = UInt64(fields[1], radix: 16) else { return geteuid() == 0 }
            return mask & (1 << 14) != 0
        }
        return geteuid() == 0
    }
}
