import CDMAHostABI
internal import CDMAHostRegistry

extension MemoryDomain {
    /// The sequence number the registry gave this domain when it was created (unique in the
    /// process, never reused), or nil when the handle is not a registered domain (destroyed,
    /// never created, or the system domain).
    ///
    /// A handle can be reused by a later domain once a destroyed one left the registry's
    /// quarantine; the sequence number tells the two apart. The driver host records it to
    /// know which plugin created which domain.
    @_spi(CABI) public var registrationSequence: UInt64? {
        var sequence: UInt64?
        _ = Registry.update(record) { sequence = $0.pointee.seq }
        return sequence
    }
}
