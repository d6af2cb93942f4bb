import Synchronization

/// The bytes ``DomainOwnership`` appends to a domain's user context, after the backend's own
/// public layout (padded to 8 bytes): a magic word, the tag of the ``DomainOwnership`` that
/// created the domain, and the owner's address (a word read and cleared atomically; 0 once the
/// domain is revoked).
///
/// The host keeps a copy of the user context for the domain's life and through its
/// quarantine (`spdk_memory_domain_destroy`), so the trailer is read, and its owner word
/// cleared, in the host's copy. Users of the public layout never see it: it lies past every
/// field the layout's own `size` covers.
@usableFromInline
enum OwnershipTrailer {
    /// The bytes "DMAHOWN1" read as a little-endian word.
    @usableFromInline static let magic: UInt64 = 0x314E_574F_4841_4D44
    /// Offset of the tag in the trailer.
    @usableFromInline static let tagOffset = 8
    /// Offset of the owner word in the trailer.
    @usableFromInline static let ownerOffset = 16
    /// Bytes of the trailer.
    @usableFromInline static let size = 24
    /// Alignment of the trailer (that of its words).
    @usableFromInline static let alignment = 8

    /// Offset of the trailer after a public layout of `publicSize` bytes.
    static func offset(after publicSize: Int) -> Int {
        (publicSize + alignment - 1) & ~(alignment - 1)
    }

    /// Writes a trailer at `start` (aligned to ``alignment``).
    static func write(at start: UnsafeMutableRawPointer, tag: UInt64, owner: UnsafeMutableRawPointer) {
        start.storeBytes(of: magic, as: UInt64.self)
        start.storeBytes(of: tag, toByteOffset: tagOffset, as: UInt64.self)
        start.storeBytes(of: UInt(bitPattern: owner), toByteOffset: ownerOffset, as: UInt.self)
    }

    /// The owner word of a user context of `size` bytes at `context`, when the context ends
    /// with a trailer carrying `tag`; nil for any other context (another backend's, another
    /// ``DomainOwnership``'s, or one too small or misaligned to hold a trailer).
    @inlinable
    static func ownerWord(in context: UnsafeMutableRawPointer, size: Int, tag: UInt64) -> UnsafeMutablePointer<Atomic<UInt>>? {
        guard size >= Self.size else { return nil }
        let start = context + (size - Self.size)
        guard UInt(bitPattern: start) & UInt(alignment - 1) == 0,
              start.load(as: UInt64.self) == magic,
              start.load(fromByteOffset: tagOffset, as: UInt64.self) == tag else { return nil }
        return (start + ownerOffset).bindMemory(to: Atomic<UInt>.self, capacity: 1)
    }
}
