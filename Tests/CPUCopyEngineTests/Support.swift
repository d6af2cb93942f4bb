import CPUCopyEngine
import SeededRandom
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One completion record per operation: how many times its callback ran and with what rc.
/// The callback argument is the address of the operation's record.
final class CompletionLog: @unchecked Sendable {
    // @unchecked Sendable: records are Atomics in memory this object owns.
    let count: Int
    private let records: UnsafeMutablePointer<Atomic<Int>>

    init(count: Int) {
        self.count = count
        records = .allocate(capacity: 2 * max(count, 1))
        for index in 0..<(2 * max(count, 1)) { (records + index).initialize(to: Atomic(0)) }
    }

    deinit {
        records.deinitialize(count: 2 * max(count, 1))
        records.deallocate()
    }

    /// The callback argument for operation `index`.
    func argument(_ index: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(records + 2 * index) }

    /// The callback every test operation uses: count + 1, remember rc.
    static let callback: CompletionCallback = { argument, rc in
        guard let record = argument?.assumingMemoryBound(to: Atomic<Int>.self) else { return }
        (record + 1).pointee.store(Int(rc), ordering: .relaxed)
        record.pointee.wrappingAdd(1, ordering: .releasing)
    }

    func calls(_ index: Int) -> Int { records[2 * index].load(ordering: .acquiring) }
    func status(_ index: Int) -> Int32 { Int32(records[2 * index + 1].load(ordering: .relaxed)) }

    /// Operations whose callback ran at least once.
    var completed: Int { (0..<count).reduce(0) { $0 + (calls($1) > 0 ? 1 : 0) } }

    /// Waits (polling the engine) until `expected` operations completed or 60 s passed.
    @discardableResult
    func wait(for expected: Int, engine: CopyEngine? = nil) -> Bool {
        waitUntil { engine?.poll(); return self.completed >= expected }
    }
}

/// Polls `condition` until it holds or `seconds` pass. Returns whether it held.
@discardableResult
func waitUntil(seconds: Double = 60, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while !condition() {
        if monotonicSeconds() > deadline { return false }
        sched_yield()
    }
    return true
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A byte buffer with scatter-gather lists carved out of it; freed on deinit.
final class SGBuffer: @unchecked Sendable {
    // @unchecked Sendable: tests hand the memory to the engine and read it only after completion.
    let bytes: UnsafeMutableRawBufferPointer
    private(set) var list: UnsafeMutablePointer<iovec>
    private(set) var listCount: Int

    init(size: Int, fill: UInt8 = 0) {
        bytes = .allocate(byteCount: max(size, 1), alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: fill)
        list = .allocate(capacity: 1)
        listCount = 0
    }

    deinit {
        bytes.deallocate()
        list.deallocate()
    }

    /// Carves `lengths` out of the buffer, each entry starting `gaps[i]` bytes after the previous one ends.
    func carve(lengths: [Int], gaps: [Int]) {
        list.deallocate()
        list = .allocate(capacity: max(lengths.count, 1))
        var cursor = 0
        for (index, length) in lengths.enumerated() {
            cursor += gaps[index]
            precondition(cursor + length <= bytes.count, "test layout does not fit its buffer")
            list[index] = iovec(iov_base: bytes.baseAddress.map { $0 + cursor }, iov_len: length)
            cursor += length
        }
        listCount = lengths.count
    }

    /// The bytes the list describes, in order.
    func gathered() -> [UInt8] {
        var result: [UInt8] = []
        for index in 0..<listCount {
            let entry = list[index]
            guard let base = entry.iov_base else { continue }
            result += UnsafeRawBufferPointer(start: base, count: entry.iov_len)
        }
        return result
    }

    /// Every byte of the buffer outside the list's entries.
    func outsideBytes() -> [UInt8] {
        var inside = [Bool](repeating: false, count: bytes.count)
        for index in 0..<listCount {
            let entry = list[index]
            guard let base = entry.iov_base, let start = bytes.baseAddress else { continue }
            let offset = base - start
            for byte in offset..<(offset + entry.iov_len) { inside[byte] = true }
        }
        return (0..<bytes.count).filter { !inside[$0] }.map { bytes[$0] }
    }
}

/// Splits `total` into `parts` random lengths (zero-length ones included).
func randomSegmentation(total: Int, parts: Int, using generator: inout SeededGenerator) -> [Int] {
    guard parts > 1 else { return [total] }
    var cuts = (0..<(parts - 1)).map { _ in Int.random(in: 0...total, using: &generator) }
    cuts.sort()
    var lengths: [Int] = []
    var previous = 0
    for cut in cuts {
        lengths.append(cut - previous)
        previous = cut
    }
    lengths.append(total - previous)
    return lengths
}
