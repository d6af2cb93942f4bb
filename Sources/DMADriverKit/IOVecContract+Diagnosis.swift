import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension IOVecContract {
    /// Finds which argument of a pull, push or transfer breaks the contract, in the order
    /// `dmahost_iov_check_copy` checks: the completion, the source list, the destination list,
    /// the totals. Slower than ``checkCopy(completion:source:sourceCount:destination:destinationCount:)``
    /// (it is meant for the refusal path, to say what was wrong) and agrees with it: nil exactly
    /// when the check passes, else a violation whose ``IOVecViolation/error`` is the check's.
    /// - Parameters:
    ///   - completion: The operation's `cpl_cb` (only compared with NULL).
    ///   - source: The source entries (only read).
    ///   - sourceCount: Entries in `source`.
    ///   - destination: The destination entries (only read).
    ///   - destinationCount: Entries in `destination`.
    /// - Returns: The first violation, or nil when the arguments keep the contract.
    public static func diagnoseCopy(
        completion: spdk_memory_domain_data_cpl_cb?,
        source: UnsafePointer<iovec>?, sourceCount: UInt32,
        destination: UnsafePointer<iovec>?, destinationCount: UInt32
    ) -> IOVecViolation? {
        guard completion != nil else { return IOVecViolation(.completion, .nullCompletion) }
        let sourceTotal: Int, destinationTotal: Int
        switch diagnoseList(source, count: sourceCount, as: .source) {
        case .failure(let violation): return violation
        case .success(let total): sourceTotal = total
        }
        switch diagnoseList(destination, count: destinationCount, as: .destination) {
        case .failure(let violation): return violation
        case .success(let total): destinationTotal = total
        }
        guard sourceTotal == destinationTotal else {
            return IOVecViolation(.destination, .totalsDiffer(source: sourceTotal, destination: destinationTotal))
        }
        return nil
    }

    /// Finds which argument of a memzero breaks the contract (`dmahost_iov_check_memzero`'s
    /// order); its one list is the destination.
    /// - Returns: The first violation, or nil when the arguments keep the contract.
    public static func diagnoseMemzero(
        completion: spdk_memory_domain_data_cpl_cb?, buffers: UnsafePointer<iovec>?, count: UInt32
    ) -> IOVecViolation? {
        guard completion != nil else { return IOVecViolation(.completion, .nullCompletion) }
        if case .failure(let violation) = diagnoseList(buffers, count: count, as: .destination) { return violation }
        return nil
    }

    /// Checks one list as `dmahost_iov_check_list` does, naming the entry and rule at fault.
    /// - Returns: The list's total (1 ... SSIZE_MAX), or the first violation.
    public static func diagnoseList(_ list: UnsafePointer<iovec>?, count: UInt32,
                                    as argument: IOVecArgument) -> Result<Int, IOVecViolation> {
        guard count == 0 || list != nil else { return .failure(IOVecViolation(argument, .nullArray(count: count))) }
        var total = 0
        if let list {
            for index in 0..<Int(count) {
                let entry = list[index]
                let length = UInt(bitPattern: entry.iov_len)
                if length == 0 { continue }
                guard length <= UInt(maximumLength) else {
                    return .failure(IOVecViolation(argument, .entryTooLong(entry: index, length: length)))
                }
                guard let base = entry.iov_base else {
                    return .failure(IOVecViolation(argument, .nullBase(entry: index, length: entry.iov_len)))
                }
                let address = UInt(bitPattern: base)
                guard length <= UInt.max - address else {
                    return .failure(IOVecViolation(argument, .wraps(entry: index, base: address, length: entry.iov_len)))
                }
                // Both terms are at most SSIZE_MAX: the sum cannot overflow UInt.
                let sum = UInt(total) + length
                guard sum <= UInt(maximumLength) else { return .failure(IOVecViolation(argument, .totalTooLarge(entry: index))) }
                total = Int(sum)
            }
        }
        guard total > 0 else { return .failure(IOVecViolation(argument, .empty(count: count))) }
        return .success(total)
    }
}
