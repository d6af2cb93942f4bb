import CDMAHostABI
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a list in a case: inside the case's memory region, or raw bits.
enum EntrySpec: Sendable {
    /// `length` bytes at `offset` into the region.
    case inside(offset: Int, length: Int)
    /// At the region's start, with a length given as `size_t` bits (may exceed SSIZE_MAX).
    case atRegion(length: UInt)
    /// Exactly these bits (a base outside any memory; never dereferenced when the contract holds).
    case raw(base: UInt, length: UInt)

    /// The entry for a region starting at `region`.
    func iovec(in region: UnsafeMutableRawPointer) -> Glibc.iovec {
        switch self {
        case .inside(let offset, let length):
            Glibc.iovec(iov_base: region + offset, iov_len: length)
        case .atRegion(let length):
            Glibc.iovec(iov_base: region, iov_len: Int(bitPattern: length))
        case .raw(let base, let length):
            Glibc.iovec(iov_base: UnsafeMutableRawPointer(bitPattern: base), iov_len: Int(bitPattern: length))
        }
    }
}

/// The shape of one list: its entries, or a NULL array with a count.
enum ListSpec: Sendable {
    /// A non-NULL array of these entries (count = number of entries; may be 0).
    case entries([EntrySpec])
    /// A NULL array with this count.
    case nullArray(count: UInt32)

    /// 64 valid bytes, the size of every valid list a bad case pairs with a bad one.
    static let valid = ListSpec.entries([.inside(offset: 0, length: 64)])
}

/// A list that breaks the contract, and the errno the contract gives it.
struct ListFault: Sendable, CustomStringConvertible {
    let name: String
    let list: ListSpec
    /// The negated errno.
    let expected: Int32
    var description: String { name }

    static let sizeMax = UInt.max
    static let ssizeMax = UInt(Int.max)

    /// Every way one list can break the contract (`dmahost/iovec.h`, step 2).
    static let all: [ListFault] = [
        ListFault(name: "NULL array with count 1", list: .nullArray(count: 1), expected: -EINVAL),
        ListFault(name: "NULL base with length 64", list: .entries([.raw(base: 0, length: 64)]), expected: -EFAULT),
        ListFault(name: "length SIZE_MAX", list: .entries([.atRegion(length: sizeMax)]), expected: -EINVAL),
        ListFault(name: "length SSIZE_MAX + 1", list: .entries([.atRegion(length: ssizeMax + 1)]), expected: -EINVAL),
        // 128 + (SIZE_MAX - 63) wraps to 64: a total computed without care matches the other side.
        ListFault(name: "two entries whose sum wraps around", list: .entries([.inside(offset: 0, length: 128), .atRegion(length: sizeMax - 63)]),
                  expected: -EINVAL),
        ListFault(name: "sum above SSIZE_MAX", list: .entries([.atRegion(length: 1 << 62), .atRegion(length: 1 << 62)]), expected: -EINVAL),
        ListFault(name: "count 0", list: .entries([]), expected: -EINVAL),
        ListFault(name: "count 0 with a NULL array", list: .nullArray(count: 0), expected: -EINVAL),
        ListFault(name: "only empty entries", list: .entries([.inside(offset: 0, length: 0), .raw(base: 0, length: 0)]), expected: -EINVAL),
        ListFault(name: "base + length wraps past the end of the address space", list: .entries([.raw(base: UInt.max - 31, length: 4096)]),
                  expected: -EFAULT),
        ListFault(name: "first failing entry decides (NULL base, then SIZE_MAX)",
                  list: .entries([.raw(base: 0, length: 8), .atRegion(length: sizeMax)]), expected: -EFAULT),
        ListFault(name: "first failing entry decides (SIZE_MAX, then NULL base)",
                  list: .entries([.atRegion(length: sizeMax), .raw(base: 0, length: 8)]), expected: -EINVAL),
        ListFault(name: "running total checked before a later entry",
                  list: .entries([.atRegion(length: ssizeMax), .atRegion(length: ssizeMax), .raw(base: 0, length: 8)]), expected: -EINVAL),
    ]
}

/// One pull, push or transfer case: the source and destination lists (in their regions: see
/// ``Operation``), whether a completion is given, and the expected negated errno.
struct CopyCase: Sendable, CustomStringConvertible {
    let name: String
    let source: ListSpec
    let destination: ListSpec
    let hasCompletion: Bool
    let expected: Int32
    var description: String { name }

    /// The table: each list fault on each side, the two length mismatches, a missing completion,
    /// and the order between the steps.
    static let all: [CopyCase] = {
        var cases: [CopyCase] = []
        for fault in ListFault.all {
            cases.append(CopyCase(name: "source: \(fault)", source: fault.list, destination: .valid, hasCompletion: true, expected: fault.expected))
            cases.append(CopyCase(name: "destination: \(fault)", source: .valid, destination: fault.list, hasCompletion: true,
                                  expected: fault.expected))
        }
        cases += [
            CopyCase(name: "destination shorter than the source (64 → 63)", source: .valid,
                     destination: .entries([.inside(offset: 0, length: 63)]), hasCompletion: true, expected: -EINVAL),
            CopyCase(name: "destination longer than the source (64 → 65)", source: .valid,
                     destination: .entries([.inside(offset: 0, length: 65)]), hasCompletion: true, expected: -EINVAL),
            CopyCase(name: "source of 2 entries shorter than a destination of 3", source: .entries([.inside(offset: 0, length: 30), .inside(offset: 40, length: 30)]),
                     destination: .entries([.inside(offset: 0, length: 20), .inside(offset: 100, length: 20), .inside(offset: 200, length: 21)]),
                     hasCompletion: true, expected: -EINVAL),
            CopyCase(name: "NULL completion", source: .valid, destination: .valid, hasCompletion: false, expected: -EINVAL),
            CopyCase(name: "NULL completion before a bad source", source: .entries([.raw(base: 0, length: 64)]), destination: .valid,
                     hasCompletion: false, expected: -EINVAL),
            CopyCase(name: "source before destination (-EFAULT, then -EINVAL)", source: .entries([.raw(base: 0, length: 64)]),
                     destination: .nullArray(count: 1), hasCompletion: true, expected: -EFAULT),
            CopyCase(name: "source before destination (-EINVAL, then -EFAULT)", source: .entries([.atRegion(length: ListFault.sizeMax)]),
                     destination: .entries([.raw(base: 0, length: 64)]), hasCompletion: true, expected: -EINVAL),
            CopyCase(name: "lists before totals (destination -EFAULT, totals differ)", source: .valid,
                     destination: .entries([.inside(offset: 0, length: 8), .raw(base: UInt.max - 7, length: 16)]), hasCompletion: true,
                     expected: -EFAULT),
        ]
        return cases
    }()

    /// The valid case: 64 bytes cut differently on each side, with empty entries at odd bases.
    static let valid = CopyCase(
        name: "valid: 64 bytes, different segmentations, empty entries anywhere",
        source: .entries([.inside(offset: 0, length: 10), .raw(base: 0, length: 0), .raw(base: 1, length: 0), .inside(offset: 10, length: 54)]),
        destination: .entries([.inside(offset: 0, length: 32), .raw(base: UInt.max, length: 0), .inside(offset: 32, length: 32)]),
        hasCompletion: true, expected: 0)
}

/// One memzero case: its one list, whether a completion is given, the expected negated errno.
struct FillCase: Sendable, CustomStringConvertible {
    let name: String
    let list: ListSpec
    let hasCompletion: Bool
    let expected: Int32
    var description: String { name }

    static let all: [FillCase] = ListFault.all.map { FillCase(name: $0.name, list: $0.list, hasCompletion: true, expected: $0.expected) } + [
        FillCase(name: "NULL completion", list: .valid, hasCompletion: false, expected: -EINVAL),
        FillCase(name: "NULL completion before a bad list", list: .entries([.raw(base: 0, length: 64)]), hasCompletion: false, expected: -EINVAL),
    ]

    static let valid = FillCase(name: "valid: 64 bytes in two entries, empty entries anywhere",
                                list: .entries([.inside(offset: 0, length: 40), .raw(base: 0, length: 0), .inside(offset: 40, length: 24)]),
                                hasCompletion: true, expected: 0)
}

/// One translate case (the source is the domain under test, the destination the system domain).
struct TranslateCase: Sendable, CustomStringConvertible {
    enum Address: Sendable {
        /// The start of the domain-side region.
        case region
        /// These bits.
        case raw(UInt)
    }

    let name: String
    let address: Address
    /// `size_t` bits.
    let length: UInt
    /// `result->size`; nil for a NULL result.
    let resultSize: Int?
    let expected: Int32
    var description: String { name }

    static let fullSize = MemoryLayout<spdk_memory_domain_translation_result>.size

    static let all: [TranslateCase] = [
        TranslateCase(name: "NULL result", address: .region, length: 64, resultSize: nil, expected: -EINVAL),
        TranslateCase(name: "result->size too small", address: .region, length: 64, resultSize: 8, expected: -EINVAL),
        TranslateCase(name: "length 0", address: .region, length: 0, resultSize: fullSize, expected: -EINVAL),
        TranslateCase(name: "length SSIZE_MAX + 1", address: .region, length: ListFault.ssizeMax + 1, resultSize: fullSize, expected: -EINVAL),
        TranslateCase(name: "length SIZE_MAX", address: .region, length: ListFault.sizeMax, resultSize: fullSize, expected: -EINVAL),
        TranslateCase(name: "NULL address", address: .raw(0), length: 64, resultSize: fullSize, expected: -EFAULT),
        TranslateCase(name: "address + length wraps", address: .raw(UInt.max - 31), length: 64, resultSize: fullSize, expected: -EFAULT),
        TranslateCase(name: "NULL result before a NULL address", address: .raw(0), length: 64, resultSize: nil, expected: -EINVAL),
        TranslateCase(name: "length 0 before a NULL address", address: .raw(0), length: 0, resultSize: fullSize, expected: -EINVAL),
    ]

    static let valid = TranslateCase(name: "valid: 64 bytes of the region", address: .region, length: 64, resultSize: fullSize, expected: 0)
}
