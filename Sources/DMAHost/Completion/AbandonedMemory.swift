import DMASync

/// Objects that own memory a device may still write after the host stopped waiting for it
/// (the buffers of an operation that timed out): kept for the rest of the process.
///
/// They are kept reachable from this list, not merely leaked, so that a leak checker sees
/// memory deliberately kept rather than lost.
public enum AbandonedMemory {
    private static let kept = Locked<[UInt]>([])

    /// Keeps `object` (and the memory it owns) alive until the process ends.
    public static func keep(_ object: AnyObject) {
        let address = UInt(bitPattern: Unmanaged.passRetained(object).toOpaque())
        kept.withLock { $0.append(address) }
    }

    /// How many objects are kept.
    public static var count: Int { kept.withLock { $0.count } }
}
