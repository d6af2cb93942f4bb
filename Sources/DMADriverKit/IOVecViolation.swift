import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The argument of a data operation that broke the contract of `dmahost/iovec.h`.
public enum IOVecArgument: String, Sendable, Equatable {
    /// The completion callback (`cpl_cb`).
    case completion
    /// The source list (pull: the domain's `src_iov`; push: the local `src_iov`).
    case source
    /// The destination list (memzero: its one list).
    case destination
}

/// The rule of `dmahost/iovec.h` an argument broke, with the values that broke it.
public enum IOVecRule: Sendable, Equatable {
    /// The completion callback is NULL (`-EINVAL`).
    case nullCompletion
    /// A NULL array with `count` entries (`-EINVAL`).
    case nullArray(count: UInt32)
    /// Entry `entry` is longer than SSIZE_MAX (`-EINVAL`).
    case entryTooLong(entry: Int, length: UInt)
    /// Entry `entry` has a length and a NULL base (`-EFAULT`).
    case nullBase(entry: Int, length: Int)
    /// Entry `entry`'s range wraps past the end of the address space (`-EFAULT`).
    case wraps(entry: Int, base: UInt, length: Int)
    /// The running total passes SSIZE_MAX at entry `entry` (`-EINVAL`).
    case totalTooLarge(entry: Int)
    /// The list describes 0 bytes: `count` entries, all empty, or none (`-EINVAL`).
    case empty(count: UInt32)
    /// The two sides describe different numbers of bytes (`-EINVAL`).
    case totalsDiffer(source: Int, destination: Int)
}

/// Which argument of a pull, push, transfer or memzero broke which rule of `dmahost/iovec.h`:
/// the first failing check, in the header's order (``IOVecContract/diagnoseCopy(completion:source:sourceCount:destination:destinationCount:)``).
///
/// ``error`` is the ``IOVecError`` (and so the errno) the domain answers with; the violation
/// adds what to tell a person. The C boundary returns the errno alone, unchanged.
public struct IOVecViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// The argument at fault.
    public let argument: IOVecArgument
    /// The rule it broke.
    public let rule: IOVecRule

    /// Creates a violation.
    public init(_ argument: IOVecArgument, _ rule: IOVecRule) {
        self.argument = argument
        self.rule = rule
    }

    /// The contract's error for this violation: ``IOVecError/badAddress`` (`-EFAULT`) for a NULL
    /// base or a wrapping range, ``IOVecError/invalidArgument`` (`-EINVAL`) otherwise.
    public var error: IOVecError {
        switch rule {
        case .nullBase, .wraps: .badAddress
        default: .invalidArgument
        }
    }

    /// The argument and the rule, e.g. "destination iovec 2: length 18446744073709551615 exceeds
    /// SSIZE_MAX (9223372036854775807)" or "source and destination totals differ: 4096 vs 8192 bytes".
    public var description: String {
        let list = argument.rawValue
        switch rule {
        case .nullCompletion:
            return "the completion callback is NULL"
        case .nullArray(let count):
            return "\(list) iovec list: a NULL array with \(count) entries"
        case .entryTooLong(let entry, let length):
            return "\(list) iovec \(entry): length \(length) exceeds SSIZE_MAX (\(IOVecContract.maximumLength))"
        case .nullBase(let entry, let length):
            return "\(list) iovec \(entry): length \(length) with a NULL base"
        case .wraps(let entry, let base, let length):
            return "\(list) iovec \(entry): base 0x\(String(base, radix: 16)) + length \(length) wraps past the end of the address space"
        case .totalTooLarge(let entry):
            return "\(list) iovec \(entry): the list's running total exceeds SSIZE_MAX (\(IOVecContract.maximumLength))"
        case .empty(let count):
            return "\(list) iovec list: 0 bytes in \(count) entr\(count == 1 ? "y" : "ies"); describe at least 1 byte"
        case .totalsDiffer(let source, let destination):
            return "source and destination totals differ: \(source) vs \(destination) bytes; both sides must describe the same number of bytes"
        }
    }

    /// The matching ``DMAError`` (the errno of ``error``), its message naming the operation,
    /// the argument and the rule.
    /// - Parameter what: The operation, e.g. "pull from cpu:0".
    public func dmaError(_ what: String) -> DMAError {
        let message = "\(what): \(description) (dmahost/iovec.h)"
        return switch error {
        case .invalidArgument: .invalidArgument(message)
        case .badAddress: .system(errno: EFAULT, message)
        }
    }
}
