@testable import DMAHost
import Testing

/// The core's warnings are bounded: a caller that repeats a refused call in a loop is counted,
/// not echoed to standard error once per call.
@Suite("Core log: warnings of one kind are printed a bounded number of times")
struct CoreLogTests {
    @Test("every warning is counted; the count keeps growing past the printed ones")
    func counted() {
        let kind = "core log test \(UInt64.random(in: 0...UInt64.max))"
        #expect(CoreLog.count(of: kind) == 0)
        for index in 0..<(4 * CoreLog.printedPerKind) {
            CoreLog.warning("core log test warning \(index) of \(4 * CoreLog.printedPerKind)", kind: kind)
        }
        #expect(CoreLog.count(of: kind) == 4 * CoreLog.printedPerKind)
    }

    @Test("a message past the printed ones is not even built")
    func messageNotBuilt() {
        let kind = "core log lazy test \(UInt64.random(in: 0...UInt64.max))"
        for _ in 0..<CoreLog.printedPerKind {
            CoreLog.warning("printed", kind: kind)
        }
        var built = false
        CoreLog.warning({ built = true; return "not printed" }(), kind: kind)
        #expect(!built, "the autoclosure runs only for warnings that are printed")
        #expect(CoreLog.count(of: kind) == CoreLog.printedPerKind + 1)
    }
}
