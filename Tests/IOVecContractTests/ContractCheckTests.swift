import CDMAHostABI
import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// An address that is never dereferenced by the checks (they only compare pointers).
private func address(_ bits: UInt) -> UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: bits) }

/// SSIZE_MAX, and lengths above it as the `Int` a Swift `iovec` holds (`size_t` bit patterns).
private let ssizeMax = Int.max
private let ssizeMaxPlusOne = Int.min
private let sizeMax = -1

/// A completion that is never called (the checks only compare it with NULL).
private let completion: spdk_memory_domain_data_cpl_cb = { _, _ in }

/// `dmahost_iov_check_list` on `entries` (NULL array when nil): the rc, and the total it wrote
/// (`12345` when it wrote nothing).
private func checkList(_ entries: [iovec]?, count: UInt32? = nil) -> (rc: Int32, total: Int) {
    var total = 12345
    guard var entries else { return (dmahost_iov_check_list(nil, count ?? 1, &total), total) }
    let rc = entries.withUnsafeMutableBufferPointer { dmahost_iov_check_list($0.baseAddress, count ?? UInt32($0.count), &total) }
    return (rc, total)
}

/// The checks of `dmahost/iovec.h` themselves: every edge of the documented order, through the
/// C functions and their Swift wrapper (`IOVecContract`), with no memory behind the addresses.
@Suite("dmahost/iovec.h: the checks")
struct ContractCheckTests {
    @Test("a list needs a non-NULL array and at least one byte")
    func listPresence() {
        #expect(checkList(nil, count: 1) == (-EINVAL, 12345))
        #expect(checkList(nil, count: 0) == (-EINVAL, 12345))
        #expect(checkList([iovec(iov_base: address(0x1000), iov_len: 8)], count: 0) == (-EINVAL, 12345))
        #expect(checkList([iovec(iov_base: nil, iov_len: 0), iovec(iov_base: address(0x1000), iov_len: 0)]) == (-EINVAL, 12345))
        #expect(checkList([iovec(iov_base: address(0x1000), iov_len: 1)]) == (0, 1))
    }

    @Test("empty entries are ignored whatever their base")
    func emptyEntries() {
        let list = [iovec(iov_base: nil, iov_len: 0), iovec(iov_base: address(0x1), iov_len: 0), iovec(iov_base: address(UInt.max), iov_len: 0),
                    iovec(iov_base: address(0x1000), iov_len: 5), iovec(iov_base: nil, iov_len: 0)]
        #expect(checkList(list) == (0, 5))
    }

    @Test("entry lengths: up to SSIZE_MAX accepted; SSIZE_MAX + 1 and SIZE_MAX are -EINVAL")
    func entryLength() {
        #expect(checkList([iovec(iov_base: address(0x1000), iov_len: ssizeMax)]) == (0, ssizeMax))
        #expect(checkList([iovec(iov_base: address(0x1000), iov_len: ssizeMaxPlusOne)]).rc == -EINVAL)
        #expect(checkList([iovec(iov_base: address(0x1000), iov_len: sizeMax)]).rc == -EINVAL)
    }

    @Test("a NULL base with a length is -EFAULT, but a too-long length is checked first")
    func nullBase() {
        #expect(checkList([iovec(iov_base: nil, iov_len: 1)]) == (-EFAULT, 12345))
        #expect(checkList([iovec(iov_base: nil, iov_len: sizeMax)]).rc == -EINVAL)
    }

    @Test("a range must end inside the address space: base + length representable, else -EFAULT")
    func wrapping() {
        #expect(checkList([iovec(iov_base: address(UInt.max - 15), iov_len: 15)]) == (0, 15))
        #expect(checkList([iovec(iov_base: address(UInt.max - 15), iov_len: 16)]).rc == -EFAULT)
        #expect(checkList([iovec(iov_base: address(UInt.max), iov_len: 1)]).rc == -EFAULT)
        #expect(checkList([iovec(iov_base: address(UInt(Int.max) + 2), iov_len: ssizeMax)]).rc == -EFAULT)
    }

    @Test("the running total may reach SSIZE_MAX, not pass it; it is checked after each entry")
    func runningTotal() {
        let base = address(0x1000)
        #expect(checkList([iovec(iov_base: base, iov_len: ssizeMax - 1), iovec(iov_base: base, iov_len: 1)]) == (0, ssizeMax))
        #expect(checkList([iovec(iov_base: base, iov_len: ssizeMax), iovec(iov_base: base, iov_len: 1)]).rc == -EINVAL)
        #expect(checkList([iovec(iov_base: base, iov_len: 1 << 62), iovec(iov_base: base, iov_len: 1 << 62)]).rc == -EINVAL)
        // The total is over before the third entry's NULL base is looked at.
        #expect(checkList([iovec(iov_base: base, iov_len: ssizeMax), iovec(iov_base: base, iov_len: ssizeMax),
                           iovec(iov_base: nil, iov_len: 1)]).rc == -EINVAL)
        // Lengths whose sum wraps size_t: the entry above SSIZE_MAX is refused first.
        #expect(checkList([iovec(iov_base: base, iov_len: 128), iovec(iov_base: base, iov_len: sizeMax - 63)]).rc == -EINVAL)
    }

    @Test("entries are checked in order: the first failing entry decides")
    func entryOrder() {
        let base = address(0x1000)
        #expect(checkList([iovec(iov_base: nil, iov_len: 8), iovec(iov_base: base, iov_len: sizeMax)]).rc == -EFAULT)
        #expect(checkList([iovec(iov_base: base, iov_len: sizeMax), iovec(iov_base: nil, iov_len: 8)]).rc == -EINVAL)
        #expect(checkList([iovec(iov_base: base, iov_len: 8), iovec(iov_base: address(UInt.max - 3), iov_len: 8)]).rc == -EFAULT)
    }

    @Test("NULL total pointers are allowed")
    func nullTotal() {
        var entry = iovec(iov_base: address(0x1000), iov_len: 3)
        #expect(dmahost_iov_check_list(&entry, 1, nil) == 0)
        #expect(dmahost_iov_check_copy(completion, &entry, 1, &entry, 1, nil) == 0)
        #expect(dmahost_iov_check_memzero(completion, &entry, 1, nil) == 0)
    }

    @Test("copy: completion, then source, then destination, then equal totals")
    func copyOrder() throws {
        var good = [iovec(iov_base: address(0x1000), iov_len: 5), iovec(iov_base: nil, iov_len: 0), iovec(iov_base: address(0x2000), iov_len: 1)]
        var five = [iovec(iov_base: address(0x3000), iov_len: 5)]
        var seven = [iovec(iov_base: address(0x3000), iov_len: 7)]
        var nullBase = [iovec(iov_base: nil, iov_len: 6)]
        var tooLong = [iovec(iov_base: address(0x1000), iov_len: sizeMax)]
        func copy(_ completion: spdk_memory_domain_data_cpl_cb?, _ source: UnsafeMutablePointer<iovec>?, _ sourceCount: UInt32,
                  _ destination: UnsafeMutablePointer<iovec>?, _ destinationCount: UInt32) -> (Int32, Int) {
            var total = 12345
            return (dmahost_iov_check_copy(completion, source, sourceCount, destination, destinationCount, &total), total)
        }
        #expect(copy(nil, &nullBase, 1, nil, 1) == (-EINVAL, 12345), "the completion first")
        #expect(copy(completion, &nullBase, 1, nil, 1) == (-EFAULT, 12345), "the source before the destination")
        #expect(copy(completion, nil, 1, &nullBase, 1) == (-EINVAL, 12345))
        #expect(copy(completion, &tooLong, 1, &nullBase, 1) == (-EINVAL, 12345))
        #expect(copy(completion, &good, 3, &nullBase, 1) == (-EFAULT, 12345), "then the destination")
        #expect(copy(completion, &good, 3, &five, 1) == (-EINVAL, 12345), "destination shorter")
        #expect(copy(completion, &good, 3, &seven, 1) == (-EINVAL, 12345), "destination longer")
        var six = [iovec(iov_base: address(0x3000), iov_len: 2), iovec(iov_base: address(0x4000), iov_len: 4)]
        #expect(copy(completion, &good, 3, &six, 2) == (0, 6))

        try good.withUnsafeBufferPointer { source in
            try six.withUnsafeBufferPointer { destination in
                let checked = try IOVecContract.checkCopy(completion: completion, source: source.baseAddress, sourceCount: 3,
                                                          destination: destination.baseAddress, destinationCount: 2)
                #expect(checked.length == 6 && checked.sourceCount == 3 && checked.destinationCount == 2)
                #expect(checked.source == source.baseAddress && checked.destination == destination.baseAddress)
                #expect(checked.sourceEntries.map(\.iov_len) == [5, 0, 1] && checked.destinationEntries.map(\.iov_len) == [2, 4])
            }
        }
        #expect(throws: IOVecError.badAddress) {
            try IOVecContract.checkCopy(completion: completion, source: &good, sourceCount: 3, destination: &nullBase, destinationCount: 1)
        }
        #expect(throws: IOVecError.invalidArgument) {
            try IOVecContract.checkCopy(completion: nil, source: &good, sourceCount: 3, destination: &six, destinationCount: 2)
        }
    }

    @Test("memzero: completion, then its one list")
    func memzero() throws {
        var list = [iovec(iov_base: address(0x1000), iov_len: 9)]
        var nullBase = [iovec(iov_base: nil, iov_len: 9)]
        var total = 12345
        #expect(dmahost_iov_check_memzero(nil, &nullBase, 1, &total) == -EINVAL && total == 12345)
        #expect(dmahost_iov_check_memzero(completion, &nullBase, 1, &total) == -EFAULT && total == 12345)
        #expect(dmahost_iov_check_memzero(completion, &list, 1, &total) == 0 && total == 9)
        try list.withUnsafeBufferPointer { buffers in
            let fill = try IOVecContract.checkMemzero(completion: completion, buffers: buffers.baseAddress, count: 1)
            #expect(fill.length == 9 && fill.count == 1 && fill.buffers == buffers.baseAddress)
        }
        #expect(throws: IOVecError.invalidArgument) { try IOVecContract.checkMemzero(completion: completion, buffers: &list, count: 0) }
    }

    @Test("translate: result, then length, then address")
    func translate() throws {
        var result = spdk_memory_domain_translation_result()
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size
        #expect(dmahost_iov_check_translate(address(0x1000), 64, &result) == 0)
        #expect(dmahost_iov_check_translate(nil, 64, nil) == -EINVAL, "no result, before the NULL address")
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size - 1
        #expect(dmahost_iov_check_translate(address(0x1000), 64, &result) == -EINVAL, "result too small")
        result.size = MemoryLayout<spdk_memory_domain_translation_result>.size + 64
        #expect(dmahost_iov_check_translate(address(0x1000), 64, &result) == 0, "a larger (extended) result is fine")
        #expect(dmahost_iov_check_translate(nil, 0, &result) == -EINVAL, "0 bytes, before the NULL address")
        #expect(dmahost_iov_check_translate(address(0x1000), ssizeMaxPlusOne, &result) == -EINVAL)
        #expect(dmahost_iov_check_translate(address(0x1000), sizeMax, &result) == -EINVAL)
        #expect(dmahost_iov_check_translate(nil, 64, &result) == -EFAULT)
        #expect(dmahost_iov_check_translate(address(UInt.max - 31), 64, &result) == -EFAULT)
        #expect(dmahost_iov_check_translate(address(UInt.max - 63), 63, &result) == 0)
        try withUnsafeMutablePointer(to: &result) { pointer in
            let checked = try IOVecContract.checkTranslate(address: address(0x1000), length: 64, result: pointer)
            #expect(checked.address == address(0x1000) && checked.length == 64 && checked.result == pointer)
        }
        #expect(throws: IOVecError.badAddress) { try IOVecContract.checkTranslate(address: nil, length: 64, result: &result) }
    }

    @Test("one entry a side: IOVecContract.checkCopy answers exactly as dmahost_iov_check_copy at every edge")
    func singleEntryCopies() {
        let top = UInt.max
        let bases: [UInt] = [0, 0x1000, top - 64, top - 63, top - 62, top, UInt(ssizeMax), UInt(ssizeMax) + 1]
        let lengths = [0, 1, 63, 64, 65, ssizeMax, ssizeMaxPlusOne, sizeMax]
        var checked = 0
        for sourceBase in bases {
            for destinationBase in bases {
                for sourceLength in lengths {
                    for destinationLength in lengths {
                        var source = iovec(iov_base: address(sourceBase), iov_len: sourceLength)
                        var destination = iovec(iov_base: address(destinationBase), iov_len: destinationLength)
                        var total = 12345
                        let rc = dmahost_iov_check_copy(completion, &source, 1, &destination, 1, &total)
                        let swift: Result<Int, IOVecError> = Result { () throws(IOVecError) -> Int in
                            try IOVecContract.checkCopy(completion: completion, source: &source, sourceCount: 1,
                                                        destination: &destination, destinationCount: 1).length
                        }
                        switch swift {
                        case .success(let length): #expect(rc == 0 && length == total, "\(source) → \(destination)")
                        case .failure(let error): #expect(error.negativeErrno == rc && rc != 0, "\(source) → \(destination)")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == bases.count * bases.count * lengths.count * lengths.count)
        var entry = iovec(iov_base: address(0x1000), iov_len: 8)
        #expect(throws: IOVecError.invalidArgument) {
            try IOVecContract.checkCopy(completion: nil, source: &entry, sourceCount: 1, destination: &entry, destinationCount: 1)
        }
        #expect(throws: IOVecError.invalidArgument) {
            try IOVecContract.checkCopy(completion: completion, source: nil, sourceCount: 1, destination: &entry, destinationCount: 1)
        }
        #expect(throws: IOVecError.invalidArgument) {
            try IOVecContract.checkCopy(completion: completion, source: &entry, sourceCount: 1, destination: nil, destinationCount: 1)
        }
    }

    @Test("errors map to their errno and DMAError")
    func errors() {
        #expect(IOVecError(negativeErrno: -EFAULT) == .badAddress)
        #expect(IOVecError(negativeErrno: -EINVAL) == .invalidArgument)
        #expect(IOVecError.badAddress.negativeErrno == -EFAULT && IOVecError.invalidArgument.negativeErrno == -EINVAL)
        #expect(IOVecError.badAddress.dmaError("push").errno == EFAULT)
        #expect(IOVecError.invalidArgument.dmaError("push") == .invalidArgument(IOVecError.invalidArgument.dmaError("push").message))
        #expect(IOVecContract.maximumLength == ssizeMax)
    }
}
