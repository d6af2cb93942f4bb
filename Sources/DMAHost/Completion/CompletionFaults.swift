import CDMAHostABI
internal import CDMAHostRegistry
import DMASync
import Synchronization

/// A way a domain broke the completion contract of `spdk/dma.h` (the completion is called
/// exactly once, and only when the submitting call returned 0), as a ``CompletionSlot`` saw it.
public enum CompletionFault: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The completion was called again for an operation that had already completed.
    case repeated
    /// The completion was called for an operation whose submitting call returned an error
    /// (before that call returned, or after).
    case afterRefusal
    /// The completion came after the host had stopped waiting (its timeout expired).
    case late
    /// The completion's argument is no operation the host is waiting for: never issued, or
    /// issued so long ago that its slot has served other operations since.
    case unknown
    /// A submitting call or a completion gave a status that is neither 0 nor a negated errno
    /// (see ``PluginStatus``); it was treated as -EIO.
    case malformedStatus

    /// What happened, for a log line.
    public var description: String {
        switch self {
        case .repeated: "a completion was called again for an operation that had already completed"
        case .afterRefusal: "a completion was called for an operation whose submitting call returned an error"
        case .late: "a completion arrived after the host had stopped waiting for it (timed out)"
        case .unknown: "a completion was called with an argument that is no pending operation"
        case .malformedStatus: "a status was neither 0 nor a negated errno; treated as -EIO"
        }
    }
}

/// How many completion faults of each kind were seen (see ``CompletionFault``).
public struct CompletionFaultCounts: Sendable, Equatable, CustomStringConvertible {
    /// Counts by kind; kinds never seen are absent.
    public var byKind: [CompletionFault: Int] = [:]

    /// Creates empty counts.
    public init() {}

    /// The count of one kind.
    public subscript(_ kind: CompletionFault) -> Int { byKind[kind] ?? 0 }

    /// All faults.
    public var total: Int { byKind.values.reduce(0, +) }

    /// These counts minus `earlier` (for "during this run").
    public func since(_ earlier: CompletionFaultCounts) -> CompletionFaultCounts {
        var result = CompletionFaultCounts()
        for kind in CompletionFault.allCases where self[kind] - earlier[kind] != 0 {
            result.byKind[kind] = self[kind] - earlier[kind]
        }
        return result
    }

    /// Adds `other` to these counts.
    public mutating func add(_ other: CompletionFaultCounts) {
        for (kind, count) in other.byKind { byKind[kind, default: 0] += count }
    }

    /// "2 repeated, 1 late" (kinds in declaration order), or "none".
    public var description: String {
        let parts = CompletionFault.allCases.filter { self[$0] > 0 }.map { "\(self[$0]) \($0.rawValue)" }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

/// The process-wide counters of completion faults, per domain, and their log lines.
///
/// Every fault is counted; the first fault of each kind for each domain is also logged (one
/// line on standard error, "dmahost: warning: …"), later ones only counted, so that a device
/// that gets every completion wrong cannot flood the log. Faults whose domain is unknown
/// (``CompletionFault/unknown``, mostly) count under no domain and in ``total``.
///
/// Domains are identified by their handle: a destroyed domain's counts stay under its
/// address until a later domain is created at that address (once the destroy's quarantine is
/// over); that domain starts with no faults.
public enum CompletionFaults {
    private struct State {
        var perDomain: [UInt: CompletionFaultCounts] = [:]
        var total = CompletionFaultCounts()
        var logged: [UInt: Set<CompletionFault>] = [:]
    }
    private static let state = Locked(State())
    /// Domains with counts or log marks in ``state`` (written under its lock): lets
    /// ``forget(domain:)``, which every domain creation calls, skip the lock and the two
    /// dictionary lookups in a process where no domain ever broke the contract.
    private static let domainsWithFaults = Atomic<Int>(0)

    /// Counts of faults attributed to `domain`.
    public static func counts(domain: MemoryDomain) -> CompletionFaultCounts {
        state.withLock { $0.perDomain[UInt(bitPattern: domain.handle)] ?? CompletionFaultCounts() }
    }

    /// Counts of every fault in the process, attributed or not.
    public static var total: CompletionFaultCounts { state.withLock { $0.total } }

    /// Drops the counts kept under `domain`, for a domain about to be created at that address.
    ///
    /// Without the lock when no domain has counts: a fault recorded under this address that
    /// happened before the creation was counted, under the lock, before it, so the acquiring
    /// load sees it; a fault recorded concurrently with the creation (a late completion of the
    /// old domain) may land before or after this call, with or without the fast path.
    static func forget(domain: UInt) {
        guard domainsWithFaults.load(ordering: .acquiring) != 0 else { return }
        state.withLock { state in
            state.perDomain[domain] = nil
            state.logged[domain] = nil
            domainsWithFaults.store(state.perDomain.count + state.logged.count, ordering: .releasing)
        }
    }

    /// Counts one fault and logs it if it is the first of its kind for its domain.
    /// - Parameters:
    ///   - kind: What happened.
    ///   - domain: The handle bits of the domain the operation was submitted to (0: unknown).
    ///   - detail: More about this occurrence (e.g. the status returned), appended to the log line.
    static func record(_ kind: CompletionFault, domain: UInt, detail: String? = nil) {
        let first = state.withLock { state -> Bool in
            state.perDomain[domain, default: CompletionFaultCounts()].byKind[kind, default: 0] += 1
            state.total.byKind[kind, default: 0] += 1
            let inserted = state.logged[domain, default: []].insert(kind).inserted
            domainsWithFaults.store(state.perDomain.count + state.logged.count, ordering: .releasing)
            return inserted
        }
        guard first else { return }
        let suffix = detail.map { " (\($0))" } ?? ""
        let consequence = kind == .malformedStatus ? "counted" : "the call was ignored and counted"
        CoreLog.warning("\(label(domain)): \(kind)\(suffix); \(consequence). Further faults of this kind for this domain are "
                        + "counted, not logged. Its driver breaks the completion contract of spdk/dma.h: report it to the driver's vendor",
                        kind: "completion fault")
    }

    /// "domain 'cpu:0'", "a destroyed domain (0x…)" or "an unknown domain".
    private static func label(_ domain: UInt) -> String {
        guard domain != 0, let handle = OpaquePointer(bitPattern: domain) else { return "an unknown domain" }
        var id: String?
        var hasID = false
        let membership = Registry.update(DomainRecord(handle)) { record in
            if let text = record.pointee.id { id = String(cString: text); hasID = true }
        }
        switch membership {
        case .live: return hasID ? "domain '\(id ?? "")'" : "domain \(handle) (no id)"
        case .system: return "the system domain"
        case .destroyed, .unknown: return "a destroyed domain (\(handle))"
        }
    }
}
