import CMemoryMonitor
import RegistrationCache
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's memory monitor: a userfaultfd listener (`dmahost_memory_monitor.h`) that
/// reports when watched memory is unmapped, moved or has its pages dropped, so that the
/// registration caches never serve a registration whose pages are no longer the ones mapped
/// at its address.
///
/// One per process, started when the first RDMA device opens (``shared``), never stopped.
public final class MemoryMonitor: @unchecked Sendable {
    // @unchecked Sendable: `raw` is the C monitor, which lives for the process; its shared
    // fields are atomics or guarded by its own mutex (see dmahost_memory_monitor.h).
    let raw: UnsafeMutablePointer<dmahost_memmon>

    private init(raw: UnsafeMutablePointer<dmahost_memmon>) {
        self.raw = raw
    }

    /// The process's monitor, started on first use: ``MonitorStatus/active(_:)``, or
    /// ``MonitorStatus/unavailable(reason:)`` with what failed.
    public static let shared: MonitorStatus = start()

    /// The monitor a configuration asks for: the shared one, or none when it disables caching.
    public static func status(for choice: MonitorChoice) -> MonitorStatus {
        switch choice {
        case .userfaultfd: shared
        case .disabled(let reason): .disabled(reason: reason)
        }
    }

    private static func start() -> MonitorStatus {
        var reason = [CChar](repeating: 0, count: 256)
        var raw: UnsafeMutablePointer<dmahost_memmon>?
        let rc = dmahost_memmon_start(&raw, &reason, reason.count)
        guard rc == 0, let raw else {
            let text = String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .unavailable(reason: text.isEmpty ? "userfaultfd: \(String(cString: strerror(-rc)))" : text)
        }
        return .active(MemoryMonitor(raw: raw))
    }

    /// Watches a page range from now on (`UFFDIO_REGISTER`, write-protect mode, nothing
    /// protected). - Returns: false when the kernel refuses (see ``dmahost_memmon_watch``).
    func watch(_ range: PageRange) -> Bool {
        dmahost_memmon_watch(raw, range.start, Int(range.length)) == 0
    }

    /// Changes whenever events were published; the one check on the per-operation path.
    @inline(__always)
    var sequence: UInt64 { dmahost_memmon_sequence(raw) }

    /// Event counters since the process started.
    public var counts: dmahost_memmon_counts { dmahost_memmon_counts(raw) }

    /// True once the monitor thread failed; caches then register per operation.
    public var failed: Bool { dmahost_memmon_failed(raw) != 0 }

    /// Features the kernel granted (`UFFD_FEATURE_*` bits).
    public var features: UInt64 { raw.pointee.features }
}

/// What the caches of a device rely on to learn that memory went away.
public enum MonitorStatus: Sendable {
    /// The userfaultfd monitor runs: registrations are cached and invalidated on unmap.
    case active(MemoryMonitor)
    /// Caching is off by configuration: every operation registers its buffers and drops the
    /// registrations when it ends.
    case disabled(reason: String)
    /// The monitor could not start: as ``disabled(reason:)``, for this reason.
    case unavailable(reason: String)

    /// The running monitor, if any.
    public var monitor: MemoryMonitor? {
        if case .active(let monitor) = self { return monitor }
        return nil
    }

    /// One line for diagnosis: the mode, and for an active monitor its event counts.
    public var summary: String {
        switch self {
        case .active(let monitor):
            let counts = monitor.counts
            if monitor.failed {
                return "userfaultfd monitor failed; registering per operation (\(counts.unmap) unmap, \(counts.remove) remove, \(counts.remap) remap events before it stopped)"
            }
            return "userfaultfd monitor active: cached registrations are dropped when their memory is unmapped, moved or discarded (\(counts.unmap) unmap, \(counts.remove) remove, \(counts.remap) remap events; \(counts.watched) ranges watched, \(counts.refused) not watchable)"
        case .disabled(let reason):
            return "registration cache disabled (\(reason)): every operation registers its buffers and deregisters them when it completes"
        case .unavailable(let reason):
            return "no memory monitor (\(reason)): every operation registers its buffers and deregisters them when it completes; allow userfaultfd (seccomp, CONFIG_USERFAULTFD) to cache registrations"
        }
    }
}

/// The monitor a configuration selects: `DMAHOST_RDMA_MR_CACHE_MONITOR`.
public enum MonitorChoice: Sendable, Equatable {
    /// Cache registrations and watch them with userfaultfd (the default).
    case userfaultfd
    /// Register per operation; `reason` says who chose it.
    case disabled(reason: String)

    /// The choice for a value of `DMAHOST_RDMA_MR_CACHE_MONITOR`: `userfaultfd` (or unset),
    /// `disabled`; anything else disables caching, the safe side, and says so.
    public static func parse(_ value: String?) -> MonitorChoice {
        switch value {
        case nil, "", "userfaultfd", "uffd": .userfaultfd
        case "disabled", "none", "off": .disabled(reason: "DMAHOST_RDMA_MR_CACHE_MONITOR=\(value ?? "")")
        case let other?: .disabled(reason: "DMAHOST_RDMA_MR_CACHE_MONITOR=\(other) is not one of userfaultfd, disabled")
        }
    }
}
