#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The completion callback of an operation: `spdk_memory_domain_data_cpl_cb` without the
/// optional. Called exactly once per accepted operation with 0 or a negated errno.
public typealias CompletionCallback = @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void

/// What a descriptor asks a worker to do.
enum OperationKind: UInt8 {
    /// Copy from the source list into the destination list.
    case copy = 0
    /// Fill the destination list with `pattern`.
    case fill = 1
}

/// A place in a scatter-gather list: entry `index`, `offset` bytes into it.
struct SGPosition: Equatable {
    var index: Int
    var offset: Int

    static let start = SGPosition(index: 0, offset: 0)
}

/// One part of an operation, as stored in a ring cell (``RingCell``) beside the cell's atomics.
///
/// A small operation is one part, its own leader. A split operation occupies consecutive
/// cells, the first being the leader: only the leader's callback, argument and part count
/// are meaningful, and the leader cell lives until the operation's completion was delivered.
/// Plain data: written by the submitter before the cell is published, read by the worker
/// (and the poller) after.
struct Descriptor {
    /// Completion callback (leader only).
    var callback: CompletionCallback
    /// Completion argument (leader only).
    var argument: UnsafeMutableRawPointer?
    /// The caller's source list (copy only); must stay valid until completion.
    var source: UnsafePointer<iovec>?
    /// The caller's destination list; must stay valid until completion.
    var destination: UnsafePointer<iovec>?
    /// Entries in `source`.
    var sourceCount: UInt32
    /// Entries in `destination`.
    var destinationCount: UInt32
    /// Entry where this part starts reading.
    var sourceIndex: UInt32
    /// Entry where this part starts writing.
    var destinationIndex: UInt32
    /// Offset into that source entry.
    var sourceOffset: Int
    /// Offset into that destination entry.
    var destinationOffset: Int
    /// Bytes this part moves.
    var length: Int
    /// Ring position of the leader cell (its own position for the leader).
    var leader: Int
    /// Number of parts of the operation (leader only).
    var parts: Int32
    /// What to do.
    var kind: OperationKind
    /// Fill byte.
    var pattern: UInt8

    /// The contents of a cell no operation has used yet. Its callback stops the program: the
    /// ring protocol never completes a cell that was not filled.
    static var vacant: Descriptor {
        Descriptor(callback: { _, _ in preconditionFailure("completion of a ring cell that holds no operation") },
                   argument: nil, source: nil, destination: nil, sourceCount: 0, destinationCount: 0,
                   sourceIndex: 0, destinationIndex: 0, sourceOffset: 0, destinationOffset: 0, length: 0, leader: 0,
                   parts: 0, kind: .copy, pattern: 0)
    }

    /// Where this part starts reading. An entry index is at most the list's entry count, a
    /// `UInt32`.
    var sourceStart: SGPosition {
        get { SGPosition(index: Int(sourceIndex), offset: sourceOffset) }
        set {
            sourceIndex = UInt32(newValue.index)
            sourceOffset = newValue.offset
        }
    }

    /// Where this part starts writing (an entry index fits a `UInt32`, as for ``sourceStart``).
    var destinationStart: SGPosition {
        get { SGPosition(index: Int(destinationIndex), offset: destinationOffset) }
        set {
            destinationIndex = UInt32(newValue.index)
            destinationOffset = newValue.offset
        }
    }
}
