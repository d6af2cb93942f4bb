import Synchronization

/// One cell of a ``DescriptorRing``: the atomic words of the ring protocol beside the
/// descriptor of one operation part.
///
/// The compiler lays out the fields, so they cannot overlap; the ring places each cell in a
/// block of ``DescriptorRing/blockBytes`` bytes of its own, and checks that the cell fits it.
struct RingCell: ~Copyable {
    /// The cell's state for its ring position (the table of ``DescriptorRing``). Stores that
    /// hand the cell to another thread release; the loads that take it over acquire.
    let sequence: Atomic<Int>
    /// Parts of a split operation still running (leader cells).
    let remaining: Atomic<Int>
    /// 0 or the first negated errno of the operation's parts (leader cells).
    let status: Atomic<Int>
    /// Byte count of a published cell, readable before claiming it (batch sizing only).
    let lengthHint: Atomic<Int>
    /// The part to run. Plain data, accessed only by the thread that owns the cell by the
    /// ring protocol (its producer, then the worker that claimed it, then its poller): each
    /// owner reads what the previous one wrote after the acquiring load of ``sequence`` that
    /// gave it the cell.
    var descriptor: Descriptor

    /// A free cell for the producer of ring position `position` (its first lap).
    init(position: Int) {
        sequence = Atomic(position)
        remaining = Atomic(0)
        status = Atomic(0)
        lengthHint = Atomic(0)
        descriptor = .vacant
    }
}
