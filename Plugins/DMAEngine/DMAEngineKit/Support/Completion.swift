/// A completion callback and its argument, to be invoked exactly once.
struct Completion: @unchecked Sendable {
    // @unchecked Sendable: the C caller hands `argument` to us for exactly one invocation of
    // `callback`, on a thread of our choosing (driver.h); we never touch what it points to.
    let callback: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void
    let argument: UnsafeMutableRawPointer?

    /// Invokes the callback with `rc` (0 or a negated errno).
    func callAsFunction(_ rc: Int32) { callback(argument, rc) }
}
