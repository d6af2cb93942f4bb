import CDMAHostABI
import Synchronization

/// The lookup table of a ``DomainOwnership``: which live domain's owner word is where, so that
/// the data callbacks of its domains find their owner with a few loads instead of a call through
/// the host table (`spdk_memory_domain_get_user_context`) and a check of the trailer.
///
/// A table of ``entryCount`` entries of four words, after a header that holds the address of the
/// host's count of destroyed domains (`dmahost_host_api.domains_destroyed`), allocated once per
/// ``DomainOwnership`` (at its first domain) and never freed. An entry holds the domain's
/// address, the address of its owner word in the host's copy of the user context, and the
/// host's count when that was last confirmed through the host (the stamp). A domain's entry is
/// one of ``probes`` consecutive entries from its hash; it is written when the domain is created
/// (after its trailer was found in the host's copy) and cleared by ``OwnedDomain/destroy()``
/// before the host destroys the domain.
///
/// An entry answers only while the host's count still equals its stamp. A domain can be
/// destroyed without ``OwnedDomain/destroy()`` (by the application, through
/// `spdk_memory_domain_destroy`), and a domain of anyone may later be created at its address:
/// an entry that outlived its domain would then name another domain's pointer as this
/// instance's, with an owner word in freed memory. Any destroy changes the count, so after one
/// the next lookup of each domain goes through the host, which refuses destroyed and foreign
/// domains, and a confirmed entry is stamped again (``refresh(_:ownerWord:stamp:)``). A domain
/// that has no entry (the table was full there, or an entry was being rewritten at that moment)
/// is looked up through the host, as before.
///
/// Writers take an entry by setting its domain word to ``busy`` with a compare-and-swap, write
/// the owner word address and the stamp (releasing), then the domain (releasing). Readers load
/// the domain, the owner word address and the stamp (acquiring), and the domain again: an entry
/// that changed in between is a miss.
@usableFromInline
struct OwnerCache {
    /// Entries in the table (a power of two).
    @usableFromInline static let entryCount = 64
    /// Consecutive entries, from the hash, that may hold a domain's entry.
    @usableFromInline static let probes = 4
    /// Bytes of one entry: the domain word, the owner word address, the stamp, one unused word.
    @usableFromInline static let entryBytes = 32
    /// The domain word of an entry a writer is changing (never a domain's address).
    @usableFromInline static let busy: UInt = 1

    /// Bytes before the first entry: the address of the host's count, then nothing (a cache line).
    @usableFromInline static let headerBytes = 64

    /// The table: the header, then ``entryCount`` entries of four atomic words.
    @usableFromInline let base: UnsafeMutableRawPointer

    @usableFromInline
    init(base: UnsafeMutableRawPointer) { self.base = base }

    /// The table at `bitPattern`; nil for 0 (no domain created yet, or no count of destroys).
    @inlinable @inline(__always)
    init?(bitPattern: UInt) {
        guard let base = UnsafeMutableRawPointer(bitPattern: bitPattern) else { return nil }
        self.base = base
    }

    /// The table whose address `word` holds, allocating it with `count` (the host's count of
    /// destroyed domains) in its header and publishing it there first if `word` holds 0 (the
    /// table is never freed). Every host table's count is the same word of the process.
    static func installed(in word: borrowing Atomic<UInt>, count: UnsafePointer<UInt64>) -> OwnerCache {
        if let current = UnsafeMutableRawPointer(bitPattern: word.load(ordering: .acquiring)) { return OwnerCache(base: current) }
        let bytes = headerBytes + entryCount * entryBytes
        let words = bytes / MemoryLayout<UInt>.stride
        let table = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let cells = table.bindMemory(to: Atomic<UInt>.self, capacity: words)
        for index in 0..<words { (cells + index).initialize(to: Atomic(0)) }
        cells.pointee.store(UInt(bitPattern: count), ordering: .relaxed)
        // Releasing: a thread that loads the table's address (acquiring) sees the header.
        let (exchanged, original) = word.compareExchange(expected: 0, desired: UInt(bitPattern: table), ordering: .acquiringAndReleasing)
        guard !exchanged, let winner = UnsafeMutableRawPointer(bitPattern: original) else { return OwnerCache(base: table) }
        table.deallocate()
        return OwnerCache(base: winner)
    }

    /// The host's count of destroyed domains now, as a stamp.
    ///
    /// Loaded relaxed: coherence alone makes a destroy that happened before this load visible
    /// to it, and a destroy concurrent with a lookup of the same domain breaks the contract of
    /// `spdk_memory_domain_destroy` whatever is read.
    @inlinable @inline(__always)
    var currentStamp: UInt {
        // The header is written before the table is published and never changes; its address
        // is never 0 (installed(in:count:) takes a non-optional pointer).
        let count = base.load(as: UInt.self)
        return UInt(truncatingIfNeeded: UnsafePointer<Atomic<UInt64>>(bitPattern: count).unsafelyUnwrapped.pointee.load(ordering: .relaxed))
    }

    /// The first entry a domain at `address` may have.
    @inlinable @inline(__always)
    static func home(of address: UInt) -> Int {
        Int(truncatingIfNeeded: (address &* 0x9E37_79B9_7F4A_7C15) >> 58) & (entryCount - 1)
    }

    /// The domain word of entry `index` (taken modulo ``entryCount``); its owner word address
    /// and its stamp follow it.
    @inlinable @inline(__always)
    func entry(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt>> {
        let offset: Int = Self.headerBytes &+ (index & (Self.entryCount &- 1)) &* Self.entryBytes
        return (base + offset).assumingMemoryBound(to: Atomic<UInt>.self)
    }

    /// The owner word of `domain` when the table has an entry for it, confirmed since the last
    /// destroy of any domain; nil otherwise (look it up through the host).
    @inlinable @inline(__always)
    func ownerWord(of domain: OpaquePointer) -> UnsafeMutablePointer<Atomic<UInt>>? {
        let address = UInt(bitPattern: domain)
        let home = Self.home(of: address)
        for probe in 0..<Self.probes {
            let slot = entry(home &+ probe)
            guard slot.pointee.load(ordering: .acquiring) == address else { continue }
            let word = (slot + 1).pointee.load(ordering: .acquiring)
            let confirmed = (slot + 2).pointee.load(ordering: .acquiring)
            guard slot.pointee.load(ordering: .relaxed) == address, confirmed == currentStamp else { return nil }
            return UnsafeMutablePointer(bitPattern: word)
        }
        return nil
    }

    /// The owner word of `domain` looked up through the host table at `table` (the trailer of
    /// `tag` in its user context); when found, the entry of `domain` in the table at `cache`
    /// (if there is one) is stamped as confirmed at the count of destroys read before the
    /// lookup. Out of line and not generic: the callbacks' fast path keeps its registers.
    @usableFromInline @inline(never)
    static func confirm(_ domain: OpaquePointer, table: UInt, tag: UInt64, cache: UInt) -> UnsafeMutablePointer<Atomic<UInt>>? {
        let owners = OwnerCache(bitPattern: cache)
        let stamp = owners?.currentStamp
        guard let host = UnsafePointer<dmahost_host_api>(bitPattern: table),
              let word = ownerWord(of: domain, through: host, tag: tag) else { return nil }
        if let owners, let stamp { owners.refresh(domain, ownerWord: word, stamp: stamp) }
        return word
    }

    /// The owner word in the host's copy of `domain`'s user context, when the context carries
    /// the trailer of `tag`.
    static func ownerWord(of domain: OpaquePointer, through table: UnsafePointer<dmahost_host_api>,
                          tag: UInt64) -> UnsafeMutablePointer<Atomic<UInt>>? {
        guard let get = table.pointee.spdk_memory_domain_get_user_context else { return nil }
        var size = 0
        guard let context = get(domain, &size) else { return nil }
        return OwnershipTrailer.ownerWord(in: context, size: size, tag: tag)
    }

    /// Enters `domain` with its owner word, confirmed at `stamp`. Takes the domain's own entry
    /// (left for an earlier domain at the same address, which the host destroyed without
    /// ``OwnedDomain/destroy()``), else a free one, else one whose stamp is not `stamp` (it
    /// answers for nothing until confirmed again).
    /// - Returns: The entry's domain word, for ``remove(_:domain:ownerWord:)``; nil when every
    ///   entry the domain may use is taken (its lookups then go through the host).
    func insert(_ domain: OpaquePointer, ownerWord: UnsafeMutablePointer<Atomic<UInt>>, stamp: UInt) -> UnsafeMutablePointer<Atomic<UInt>>? {
        let address = UInt(bitPattern: domain)
        let home = Self.home(of: address)
        for pass in 0..<3 {
            for probe in 0..<Self.probes {
                let slot = entry(home &+ probe)
                let expected: UInt
                switch pass {
                case 0: expected = address
                case 1: expected = 0
                default:
                    expected = slot.pointee.load(ordering: .relaxed)
                    guard expected != Self.busy, expected != address, expected != 0,
                          (slot + 2).pointee.load(ordering: .relaxed) != stamp else { continue }
                }
                guard slot.pointee.compareExchange(expected: expected, desired: Self.busy, ordering: .acquiringAndReleasing).exchanged else {
                    continue
                }
                Self.write(slot, address: address, ownerWord: UInt(bitPattern: ownerWord), stamp: stamp)
                return slot
            }
        }
        return nil
    }

    /// Stamps `domain`'s entry with `stamp` after a lookup through the host confirmed that
    /// `ownerWord` is its owner word; does nothing when the table has no entry for it.
    func refresh(_ domain: OpaquePointer, ownerWord: UnsafeMutablePointer<Atomic<UInt>>, stamp: UInt) {
        let address = UInt(bitPattern: domain)
        let home = Self.home(of: address)
        for probe in 0..<Self.probes {
            let slot = entry(home &+ probe)
            // A load first: a domain without an entry costs no locked instruction here.
            guard slot.pointee.load(ordering: .relaxed) == address,
                  slot.pointee.compareExchange(expected: address, desired: Self.busy, ordering: .acquiringAndReleasing).exchanged else {
                continue
            }
            Self.write(slot, address: address, ownerWord: UInt(bitPattern: ownerWord), stamp: stamp)
            return
        }
    }

    /// Fills an entry taken by setting its domain word to ``busy``, and hands it back.
    private static func write(_ slot: UnsafeMutablePointer<Atomic<UInt>>, address: UInt, ownerWord: UInt, stamp: UInt) {
        (slot + 1).pointee.store(ownerWord, ordering: .releasing)
        (slot + 2).pointee.store(stamp, ordering: .releasing)
        slot.pointee.store(address, ordering: .releasing)
    }

    /// Clears the entry `slot` when it still holds `domain` with `ownerWord` (a later domain
    /// at the same address may have taken it over).
    static func remove(_ slot: UnsafeMutablePointer<Atomic<UInt>>, domain: OpaquePointer,
                       ownerWord: UnsafeMutablePointer<Atomic<UInt>>) {
        let address = UInt(bitPattern: domain)
        guard slot.pointee.compareExchange(expected: address, desired: busy, ordering: .acquiringAndReleasing).exchanged else { return }
        if (slot + 1).pointee.load(ordering: .relaxed) == UInt(bitPattern: ownerWord) {
            write(slot, address: 0, ownerWord: 0, stamp: 0)
        } else {
            slot.pointee.store(address, ordering: .releasing)
        }
    }
}
