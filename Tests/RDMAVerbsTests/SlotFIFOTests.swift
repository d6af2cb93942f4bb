@testable import RDMAVerbsKit
import Testing

@Suite("RDMA engine: the FIFO of posted slots")
struct SlotFIFOTests {
    @Test("slots leave in posting order across the ring's end; removeLast forgets the newest")
    func order() {
        var fifo = SlotFIFO(capacity: 3)
        fifo.append(7)
        fifo.append(8)
        #expect(fifo.removeFirst() == 7)
        fifo.append(9)
        fifo.append(10)
        #expect(fifo.count == 3 && fifo.first == 8)
        #expect(fifo.contains(10) && !fifo.contains(7))
        fifo.removeLast(2)
        #expect(fifo.count == 1 && !fifo.contains(9))
        #expect(fifo.removeFirst() == 8)
        #expect(fifo.removeFirst() == nil)
    }

    @Test("appending to a full FIFO stops the program instead of losing a slot")
    func appendWhenFull() async {
        await #expect(processExitsWith: .failure) {
            var fifo = SlotFIFO(capacity: 1)
            fifo.append(0)
            fifo.append(1)
        }
    }

    @Test("forgetting more slots than are held stops the program")
    func removeTooMany() async {
        await #expect(processExitsWith: .failure) {
            var fifo = SlotFIFO(capacity: 2)
            fifo.append(0)
            fifo.removeLast(2)
        }
    }
}
