import Synchronization

/// Where a ``CopyEngine`` is in its life. It only moves forward, `running` → `stopping` →
/// `stopped`, and lives in an `Atomic`, so that any thread can read it.
enum EngineState: Int, AtomicRepresentable {
    /// Accepting operations; the workers run them.
    case running
    /// One thread is shutting the engine down: the ring is closed to producers, the workers
    /// run or cancel what was accepted and are joined, and in poll mode that thread delivers
    /// the remaining completions. Other shutdown calls wait until the engine is `stopped`.
    case stopping
    /// Shut down: every accepted operation completed, and submissions throw
    /// ``SubmitError/stopped``.
    case stopped
}
