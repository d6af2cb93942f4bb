/// What a run drives and how it is timed, whichever way it resubmits (``ChainRunner``,
/// ``DomainRunner``).
struct RunTarget {
    /// The domain under test (`struct spdk_memory_domain *`).
    let domain: OpaquePointer
    let operation: BenchOperation
    /// Percentage of the operations that pull (read); the others push. Ignored for fill.
    let readPercent: Int
    /// Entries each side of an operation is split into.
    let iovecs: Int
    let set: WorkingSet
    /// For a remote domain, the domain's side of the set (the set's slots stay the local side).
    let remote: RemoteSlots?
    /// Operations kept in flight.
    let queueDepth: Int
    /// Set for a CPU domain: in poll mode, the runner delivers completions itself.
    let cpu: CPUDomainContext?
    /// Cost of one clock read (see ``BenchTimer``).
    let timerCost: UInt64
    /// How long an operation may stay outstanding before the run is abandoned.
    let timeoutNanoseconds: UInt64

    /// The call the run makes, for messages: memzero, pull, push, or "pull or push" (a mix).
    var callName: String {
        operation == .fill ? "memzero" : readPercent == 100 ? "pull" : readPercent == 0 ? "push" : "pull or push"
    }
}
