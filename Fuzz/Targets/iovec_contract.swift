import CDMAHostABI
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `iovec_contract`: the checks of dmahost/iovec.h (the C functions) and their Swift
// face, IOVecContract, against a model written from the header's documentation.
//
// The input picks an operation (copy, memzero, one list, translate) and builds its arguments:
// entry bases among NULL, a real buffer, small integers, addresses just below the top of the
// address space and random words; lengths among 0, small, SSIZE_MAX, SSIZE_MAX + 1, SIZE_MAX,
// "exactly reaching" and "one past" the top of the address space, halves of SSIZE_MAX (whose
// sums overflow) and random words; NULL arrays with any count. Bases are never dereferenced.
// Checked: the C verdict equals the model's (the first failing rule in the documented order);
// `*total` is written exactly when the verdict is 0, with the model's byte count; the Swift
// wrapper throws the same errno or returns the same lists and count.

/// The model's verdict on a list or an operation: the byte count, or a negated errno.
private enum Verdict: Equatable {
    case accepted(UInt64)
    case refused(Int32)
}

private let maximumLength = UInt64(Int64.max)

/// The rules of one list, from the header's documentation (step 2).
private func modelList(_ entries: [iovec]?, count: UInt32) -> Verdict {
    // A NULL array: -EINVAL with entries, and a list of 0 bytes (also -EINVAL) without.
    guard let entries else { return .refused(-EINVAL) }
    var sum: UInt64 = 0
    for entry in entries.prefix(Int(count)) {
        let length = UInt64(UInt(bitPattern: entry.iov_len))
        if length == 0 { continue }
        if length > maximumLength { return .refused(-EINVAL) }
        let base = UInt64(UInt(bitPattern: entry.iov_base))
        if base == 0 { return .refused(-EFAULT) }
        if base.addingReportingOverflow(length).overflow { return .refused(-EFAULT) }
        let (next, overflow) = sum.addingReportingOverflow(length)
        if overflow || next > maximumLength { return .refused(-EINVAL) }
        sum = next
    }
    return sum == 0 ? .refused(-EINVAL) : .accepted(sum)
}

/// The rules of a copy (steps 1 to 3).
private func modelCopy(hasCompletion: Bool, source: [iovec]?, sourceCount: UInt32,
                       destination: [iovec]?, destinationCount: UInt32) -> Verdict {
    guard hasCompletion else { return .refused(-EINVAL) }
    let sourceVerdict = modelList(source, count: sourceCount)
    guard case .accepted(let sourceTotal) = sourceVerdict else { return sourceVerdict }
    let destinationVerdict = modelList(destination, count: destinationCount)
    guard case .accepted(let destinationTotal) = destinationVerdict else { return destinationVerdict }
    return sourceTotal == destinationTotal ? .accepted(sourceTotal) : .refused(-EINVAL)
}

/// The rules of translate (section "translate").
private func modelTranslate(address: UInt, length: UInt, resultSize: Int?) -> Verdict {
    let needed = MemoryLayout<spdk_memory_domain_translation_result>.size
    // `size` is a size_t: a negative Int stands for a huge size, which is large enough.
    guard let resultSize, UInt(bitPattern: resultSize) >= UInt(needed) else { return .refused(-EINVAL) }
    guard length != 0, UInt64(length) <= maximumLength else { return .refused(-EINVAL) }
    guard address != 0 else { return .refused(-EFAULT) }
    return address.addingReportingOverflow(length).overflow ? .refused(-EFAULT) : .accepted(UInt64(length))
}

/// Address of memory some entries point into (never read or written: only the address is used).
private let arena = UInt(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16))

/// An entry base chosen by the input.
private func base(_ input: inout FuzzInput) -> UInt {
    switch input.byte() % 6 {
    case 0: 0
    case 1: arena + UInt(input.byte())
    case 2: UInt.max - UInt(input.unsigned(bytes: 2))
    case 3: UInt(input.unsigned(bytes: 8))
    case 4: UInt(input.unsigned(bytes: 2))
    default: (UInt(1) << 63) &+ UInt(input.unsigned(bytes: 2))
    }
}

/// An entry length chosen by the input, possibly relative to its base.
private func length(_ input: inout FuzzInput, base: UInt) -> UInt {
    switch input.byte() % 9 {
    case 0: 0
    case 1: UInt(input.unsigned(bytes: 2))
    case 2: UInt.max
    case 3: UInt(Int.max)
    case 4: UInt(Int.max) + 1
    case 5: UInt(input.unsigned(bytes: 8))
    case 6: UInt.max - base
    case 7: (UInt.max - base) &+ 1
    default: UInt(Int.max) / 2 + UInt(input.byte())
    }
}

/// A list: nil stands for a NULL array; the count may be anything for a NULL array, and at
/// most the entries built otherwise.
private func list(_ input: inout FuzzInput) -> (entries: [iovec]?, count: UInt32) {
    let shape = input.byte()
    let entryCount = Int(shape & 0x0F)
    if shape >> 4 == 0x0F {
        return (nil, input.bool() ? 0 : UInt32(truncatingIfNeeded: input.unsigned(bytes: 4)) | 1)
    }
    var entries: [iovec] = []
    for _ in 0..<entryCount {
        let start = base(&input)
        entries.append(iovec(iov_base: UnsafeMutableRawPointer(bitPattern: start), iov_len: Int(bitPattern: length(&input, base: start))))
    }
    let declared = shape >> 4 == 0x0E ? input.int(in: 0...entryCount) : entryCount
    return (entries, UInt32(declared))
}

/// Calls `body` with a pointer to the entries, NULL for a nil list.
private func withList<R>(_ entries: [iovec]?, _ body: (UnsafePointer<iovec>?) -> R) -> R {
    guard let entries else { return body(nil) }
    // An empty array is still a non-NULL pointer, unlike a nil list.
    return entries.withUnsafeBufferPointer { body($0.baseAddress ?? UnsafePointer(bitPattern: arena)) }
}

private let completion: spdk_memory_domain_data_cpl_cb = { _, _ in }
private let untouched = 0x5A5A_5A5A

/// Checks what a C check returned and wrote against the model's verdict.
private func compare(_ rc: Int32, total: Int, _ verdict: Verdict, _ what: String) {
    switch verdict {
    case .accepted(let bytes):
        require(rc == 0, "\(what): C returned \(rc), the model accepts \(bytes) bytes")
        require(UInt64(total) == bytes, "\(what): C total \(total), model \(bytes)")
        require(bytes > 0 && bytes <= maximumLength, "\(what): accepted total \(bytes) outside 1...SSIZE_MAX")
    case .refused(let errno):
        require(rc == errno, "\(what): C returned \(rc), the model refuses with \(errno)")
        require(total == untouched, "\(what): C wrote total \(total) on failure")
    }
}

private func fuzzCopy(_ input: inout FuzzInput) {
    let hasCompletion = input.byte() != 0
    let source = list(&input), destination = list(&input)
    let verdict = modelCopy(hasCompletion: hasCompletion, source: source.entries, sourceCount: source.count,
                            destination: destination.entries, destinationCount: destination.count)
    withList(source.entries) { sourcePointer in
        withList(destination.entries) { destinationPointer in
            var total = untouched
            let rc = dmahost_iov_check_copy(hasCompletion ? completion : nil, sourcePointer, source.count,
                                            destinationPointer, destination.count, &total)
            compare(rc, total: total, verdict, "dmahost_iov_check_copy")
            let violation = IOVecContract.diagnoseCopy(completion: hasCompletion ? completion : nil, source: sourcePointer,
                                                       sourceCount: source.count, destination: destinationPointer,
                                                       destinationCount: destination.count)
            require((violation?.error.negativeErrno ?? 0) == rc,
                    "diagnoseCopy found \(String(describing: violation)), dmahost_iov_check_copy returned \(rc)")
            do throws(IOVecError) {
                let checked = try IOVecContract.checkCopy(completion: hasCompletion ? completion : nil,
                                                          source: sourcePointer, sourceCount: source.count,
                                                          destination: destinationPointer, destinationCount: destination.count)
                require(verdict == .accepted(UInt64(checked.length)), "checkCopy accepted \(checked.length) bytes, model \(verdict)")
                require(checked.source == sourcePointer && checked.destination == destinationPointer
                        && checked.sourceCount == source.count && checked.destinationCount == destination.count,
                        "checkCopy returned other lists than it was given")
            } catch {
                require(verdict == .refused(error.negativeErrno), "checkCopy threw \(error), model \(verdict)")
            }
        }
    }
}

private func fuzzMemzero(_ input: inout FuzzInput) {
    let hasCompletion = input.byte() != 0
    let buffers = list(&input)
    let listVerdict = modelList(buffers.entries, count: buffers.count)
    let verdict = hasCompletion ? listVerdict : .refused(-EINVAL)
    withList(buffers.entries) { pointer in
        var total = untouched
        let rc = dmahost_iov_check_memzero(hasCompletion ? completion : nil, pointer, buffers.count, &total)
        compare(rc, total: total, verdict, "dmahost_iov_check_memzero")
        let violation = IOVecContract.diagnoseMemzero(completion: hasCompletion ? completion : nil, buffers: pointer, count: buffers.count)
        require((violation?.error.negativeErrno ?? 0) == rc,
                "diagnoseMemzero found \(String(describing: violation)), dmahost_iov_check_memzero returned \(rc)")
        total = untouched
        compare(dmahost_iov_check_list(pointer, buffers.count, &total), total: total, listVerdict, "dmahost_iov_check_list")
        do throws(IOVecError) {
            let checked = try IOVecContract.checkMemzero(completion: hasCompletion ? completion : nil, buffers: pointer, count: buffers.count)
            require(verdict == .accepted(UInt64(checked.length)), "checkMemzero accepted \(checked.length) bytes, model \(verdict)")
            require(checked.buffers == pointer && checked.count == buffers.count, "checkMemzero returned another list")
        } catch {
            require(verdict == .refused(error.negativeErrno), "checkMemzero threw \(error), model \(verdict)")
        }
        do throws(IOVecError) {
            let length = try IOVecContract.checkList(pointer, count: buffers.count)
            require(listVerdict == .accepted(UInt64(length)), "checkList accepted \(length) bytes, model \(listVerdict)")
        } catch {
            require(listVerdict == .refused(error.negativeErrno), "checkList threw \(error), model \(listVerdict)")
        }
    }
}

private func fuzzTranslate(_ input: inout FuzzInput) {
    let address = base(&input)
    let bytes = length(&input, base: address)
    let sizeChoice = input.byte() % 5
    let needed = MemoryLayout<spdk_memory_domain_translation_result>.size
    let resultSize: Int? = switch sizeChoice {
    case 0: nil
    case 1: needed - 1 - Int(input.byte() % UInt8(needed))
    case 2: needed
    case 3: needed + Int(input.byte())
    default: Int(bitPattern: UInt(input.unsigned(bytes: 8)))
    }
    let verdict = modelTranslate(address: address, length: bytes, resultSize: resultSize)
    var result = spdk_memory_domain_translation_result()
    result.size = resultSize ?? 0
    withUnsafeMutablePointer(to: &result) { pointer in
        let resultPointer = resultSize == nil ? nil : pointer
        let rawAddress = UnsafeMutableRawPointer(bitPattern: address)
        let rc = dmahost_iov_check_translate(rawAddress, Int(bitPattern: bytes), resultPointer)
        compare(rc, total: rc == 0 ? Int(bitPattern: bytes) : untouched, verdict, "dmahost_iov_check_translate")
        do throws(IOVecError) {
            let checked = try IOVecContract.checkTranslate(address: rawAddress, length: Int(bitPattern: bytes), result: resultPointer)
            require(verdict == .accepted(UInt64(checked.length)) && checked.address == rawAddress && checked.result == resultPointer,
                    "checkTranslate accepted what the model answers with \(verdict)")
        } catch {
            require(verdict == .refused(error.negativeErrno), "checkTranslate threw \(error), model \(verdict)")
        }
    }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIOVecContract(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.byte() % 3 {
    case 0: fuzzCopy(&input)
    case 1: fuzzMemzero(&input)
    default: fuzzTranslate(&input)
    }
    return 0
}
