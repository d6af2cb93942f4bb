/// Slot numbers in posting order: a ring of fixed capacity (the number of slots).
///
/// Holds only slots of posted work requests. A slot is appended right after it was taken
/// from the free slots and leaves before it returns there, so the FIFO never holds more than
/// the capacity; appending to a full FIFO, or removing more than it holds, is a bookkeeping
/// error of the engine and stops the program.
struct SlotFIFO {
    private var ring: [Int]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { ring = Array(repeating: -1, count: max(capacity, 1)) }

    var first: Int? { count > 0 ? ring[head] : nil }

    /// Appends the slot of a request just posted.
    /// - Precondition: fewer than `capacity` slots are held.
    mutating func append(_ slot: Int) {
        precondition(count < ring.count, "more posted work requests (\(count + 1)) than slots (\(ring.count))")
        ring[(head + count) % ring.count] = slot
        count += 1
    }

    @discardableResult
    mutating func removeFirst() -> Int? {
        guard count > 0 else { return nil }
        let slot = ring[head]
        head = (head + 1) % ring.count
        count -= 1
        return slot
    }

    /// Forgets the `n` most recently appended slots (requests that were not posted after all).
    /// - Precondition: `n` is 0 ... `count`.
    mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "forgetting \(n) of \(count) posted work requests")
        count -= n
    }

    func contains(_ slot: Int) -> Bool {
        (0..<count).contains { ring[(head + $0) % ring.count] == slot }
    }
}
