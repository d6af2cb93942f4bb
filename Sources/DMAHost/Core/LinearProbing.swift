/// Removal from an open-addressing table with linear probing, without deletion markers: the
/// entries after the removed one move back so that every lookup still reaches its entry before
/// an empty slot. Shared by ``AddressTable`` and ``IDIndex``.
enum LinearProbing {
    /// Empties slot `hole` of a table of `mask + 1` slots: each following entry whose home slot
    /// is not cyclically between the hole and its own slot moves into the hole, which moves to
    /// where that entry was, until an empty slot ends the run.
    /// - Parameters:
    ///   - isEmpty: Whether a slot is empty.
    ///   - home: The home slot of the entry in a slot.
    ///   - move: Copies the entry of the first slot into the second.
    /// - Returns: The slot left over, which the caller empties.
    @inline(__always)
    static func shiftBack(from hole: Int, mask: Int, isEmpty: (Int) -> Bool, home: (Int) -> Int,
                          move: (_ from: Int, _ to: Int) -> Void) -> Int {
        var hole = hole
        var index = hole
        while true {
            index = (index &+ 1) & mask
            if isEmpty(index) { return hole }
            let wanted = home(index)
            let stays = hole <= index ? (hole < wanted && wanted <= index) : (hole < wanted || wanted <= index)
            if !stays {
                move(index, hole)
                hole = index
            }
        }
    }
}
