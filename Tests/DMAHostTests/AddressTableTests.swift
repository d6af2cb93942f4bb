import CDMAHostRegistry
@testable import DMAHost
import Testing

/// The registry's address table with many entries: lookups after growth and after removals in
/// any order (linear probing forms clusters at this load; removal shifts entries back).
///
/// The table is the process's own, shared with the registry, so the test holds the registry
/// lock throughout and uses addresses below 64 KiB, which Linux never maps (vm.mmap_min_addr):
/// no record can have them. It removes every address it added.
@Suite("Address table")
struct AddressTableTests {
    @Test("entries survive growth and any order of removals")
    func insertAndRemove() {
        let addresses = (1...3000).map { UInt($0) * 16 }
        var order = addresses
        var random = SystemRandomNumberGenerator()
        order.shuffle(using: &random)
        var problems: [String] = []
        dmahost_registry_lock()
        let before = dmahost_address_table().pointee.count
        for (n, address) in addresses.enumerated() {
            guard AddressTable.reserveOne() else { problems.append("cannot grow"); break }
            AddressTable.set(address, n % 3 == 0 ? .destroyed(seq: UInt64(n)) : .live(seq: UInt64(n)))
        }
        for (n, address) in addresses.enumerated() {
            let expected: AddressState = n % 3 == 0 ? .destroyed(seq: UInt64(n)) : .live(seq: UInt64(n))
            if AddressTable.state(of: address) != expected { problems.append("\(address) after inserts") }
        }
        // Overwriting changes the state without adding an entry.
        AddressTable.set(addresses[0], .live(seq: 99))
        if AddressTable.state(of: addresses[0]) != .live(seq: 99) { problems.append("overwrite") }
        AddressTable.set(addresses[0], .destroyed(seq: 0))
        let full = dmahost_address_table().pointee.count
        if full != before + UInt64(addresses.count) { problems.append("count \(full) after inserts") }
        for (k, address) in order.enumerated() {
            AddressTable.remove(address)
            if AddressTable.state(of: address) != nil { problems.append("\(address) still found after removal") }
            // Every 100 removals, every remaining address is still found.
            if k % 100 == 0 {
                for remaining in order[(k + 1)...] where AddressTable.state(of: remaining) == nil {
                    problems.append("\(remaining) lost after removing \(k + 1)")
                }
            }
        }
        AddressTable.remove(UInt(0x10_0000)) // never added: nothing happens
        let after = dmahost_address_table().pointee.count
        dmahost_registry_unlock()
        #expect(problems.isEmpty, "\(problems.prefix(10))")
        #expect(after == before)
    }

    @Test("a state round-trips through the slot encoding", arguments: [0, 1, 2, 1 << 40, (1 << 62) + 5] as [UInt64])
    func encoding(seq: UInt64) {
        #expect(AddressState(encoded: AddressState.live(seq: seq).encoded) == .live(seq: seq))
        #expect(AddressState(encoded: AddressState.destroyed(seq: seq).encoded) == .destroyed(seq: seq))
    }
}
