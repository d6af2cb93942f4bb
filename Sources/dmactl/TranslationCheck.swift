import CDMAHostABI
import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Checks what a domain's translate callback returned before dmactl dereferences it.
///
/// A translation to the system domain describes host memory dmactl then reads and writes
/// directly. A careless driver may return anything: no entries, an entry array at address 0x10,
/// a length of `SIZE_MAX`. Every pointer and length is checked here first, so that a bad
/// result is a reported failure, not a crash.
enum TranslationCheck {
    /// Most entries one translation may describe.
    static let maximumEntries: UInt32 = 65_536

    /// Addresses below this are never valid memory (the first page is not mapped).
    static let firstValidAddress = UInt(max(4096, sysconf(Int32(_SC_PAGESIZE))))

    /// The system-memory pieces a translation of `length` bytes describes.
    /// - Returns: The pieces, in order; nil when the entries are well formed but cover fewer
    ///   bytes than asked for (the translation is then not usable for direct access).
    /// - Throws: The first problem found, as text naming the field and value.
    static func pieces(of result: spdk_memory_domain_translation_result, length: Int) throws(TranslationProblem)
        -> [UnsafeMutableRawBufferPointer]? {
        let count = result.iov_count
        guard count >= 1 else { throw TranslationProblem("iov_count is 0: a translation describes at least one entry") }
        guard count <= maximumEntries else {
            throw TranslationProblem("iov_count is \(count), more than \(maximumEntries) entries")
        }
        let entries: [iovec]
        if count == 1 {
            entries = [result.iov]
        } else {
            guard let array = result.iovs else { throw TranslationProblem("iov_count is \(count) but iovs is NULL") }
            let address = UInt(bitPattern: array)
            guard address >= firstValidAddress else {
                throw TranslationProblem("iovs is \(hex(address)), inside the first page, which is never mapped")
            }
            guard address % UInt(MemoryLayout<iovec>.alignment) == 0 else {
                throw TranslationProblem("iovs is \(hex(address)), not aligned for struct iovec")
            }
            entries = Array(UnsafeBufferPointer(start: array, count: Int(count)))
        }
        var total = 0
        var pieces: [UnsafeMutableRawBufferPointer] = []
        for (index, entry) in entries.enumerated() {
            let size = UInt(bitPattern: entry.iov_len)
            guard size <= UInt(Int.max) else { throw TranslationProblem("entry \(index) has length \(size), more than SSIZE_MAX") }
            guard size > 0 else { continue }
            let base = UInt(bitPattern: entry.iov_base)
            guard base >= firstValidAddress else {
                throw TranslationProblem("entry \(index) starts at \(hex(base)), inside the first page, which is never mapped")
            }
            guard base.addingReportingOverflow(size).overflow == false else {
                throw TranslationProblem("entry \(index) at \(hex(base)) + \(size) bytes wraps around the address space")
            }
            let (sum, overflow) = total.addingReportingOverflow(Int(size))
            guard !overflow, sum <= length else {
                throw TranslationProblem("the entries describe more than the \(length) bytes asked for")
            }
            total = sum
            pieces.append(UnsafeMutableRawBufferPointer(start: entry.iov_base, count: Int(size)))
        }
        return total == length ? pieces : nil
    }

    private static func hex(_ value: UInt) -> String { "0x" + String(value, radix: 16) }
}

/// What is wrong with a translation result.
struct TranslationProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
