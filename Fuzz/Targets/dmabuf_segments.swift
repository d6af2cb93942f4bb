import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `dmabuf_segments`: the piece lists of the dma-buf backend
// (Plugins/DMAEngine/DMAEngineKit/DataPath/Segments.swift).
//
// Checked, on lists the input builds:
// - Piece.list(_:count:role:) (unchecked iovecs, used by invalidate) refuses with the errno of
//   the per-entry rules of dmahost/iovec.h (NULL array, entry above SSIZE_MAX: EINVAL; NULL base
//   with a length, wrapping range: EFAULT), first failing entry first, and otherwise returns
//   exactly the non-empty entries in order; Piece.list(_:) on a valid list agrees.
// - SegmentPairs over real heap blocks (one per piece, so AddressSanitizer sees overruns):
//   runs, in order, are the source and destination bytes in order, each inside one piece on
//   both sides, 1...maxRun bytes, min(bytes, both totals) in all; CPUCopy.copy then makes the
//   destination equal the source, and CPUCopy.zero zeroes every piece.

/// What Piece.list should answer: the pieces, or the errno it refuses with.
private enum Expected {
    case pieces([Piece])
    case refused(Int32)
}

/// The per-entry rules of the header, with Piece.list's treatment of a list (no total checks).
private func expectedPieces(_ entries: [iovec]?, count: UInt32) -> Expected {
    guard count > 0 else { return .pieces([]) }
    guard let entries else { return .refused(EINVAL) }
    var pieces: [Piece] = []
    for entry in entries.prefix(Int(count)) {
        let length = UInt(bitPattern: entry.iov_len)
        if length == 0 { continue }
        if length > UInt(Int.max) { return .refused(EINVAL) }
        let base = UInt(bitPattern: entry.iov_base)
        if base == 0 || base.addingReportingOverflow(length).overflow { return .refused(EFAULT) }
        pieces.append(Piece(address: base, length: Int(length)))
    }
    return .pieces(pieces)
}

private func fuzzList(_ input: inout FuzzInput) {
    let isNull = input.byte() == 0xFF
    var entries: [iovec] = []
    for _ in 0..<input.int(in: 0...10) {
        let base: UInt = switch input.byte() % 4 {
        case 0: 0
        case 1: UInt.max - UInt(input.unsigned(bytes: 2))
        case 2: UInt(input.unsigned(bytes: 8))
        default: 0x1000 + UInt(input.unsigned(bytes: 3))
        }
        let length: UInt = switch input.byte() % 6 {
        case 0: 0
        case 1: UInt.max - base
        case 2: (UInt.max - base) &+ 1
        case 3: UInt(Int.max) + UInt(input.byte())
        case 4: UInt(input.unsigned(bytes: 8))
        default: UInt(input.unsigned(bytes: 2))
        }
        entries.append(iovec(iov_base: UnsafeMutableRawPointer(bitPattern: base), iov_len: Int(bitPattern: length)))
    }
    let count = isNull ? UInt32(input.byte()) : UInt32(input.int(in: 0...entries.count))
    let expected = expectedPieces(isNull ? nil : entries, count: count)
    let result: Result<[Piece], DMAError> = entries.withUnsafeBufferPointer { buffer in
        Result { () throws(DMAError) -> [Piece] in try Piece.list(isNull ? nil : buffer.baseAddress, count: count, role: "fuzz") }
    }
    switch (result, expected) {
    case (.success(let pieces), .pieces(let wanted)):
        require(pieces == wanted, "Piece.list gave \(pieces), expected \(wanted)")
        let checked = entries.prefix(Int(count)).withUnsafeBufferPointer { Piece.list($0) }
        require(checked == wanted, "Piece.list(_:) gave \(checked), expected \(wanted)")
    case (.failure(let error), .refused(let errno)):
        require(error.errno == errno, "Piece.list refused with \(error.errno) (\(error)), expected \(errno)")
    default:
        require(false, "Piece.list answered \(result), expected \(expected)")
    }
}

/// Where stream offset `offset` of `pieces` lies: the address and the bytes left in that piece.
private func locate(_ offset: Int, in pieces: [Piece]) -> (address: UInt, left: Int)? {
    var start = 0
    for piece in pieces {
        if offset < start + piece.length { return (piece.address + UInt(offset - start), piece.length - (offset - start)) }
        start += piece.length
    }
    return nil
}

private func fuzzPairs(_ input: inout FuzzInput) {
    let seed = input.byte()
    let maxRun = input.bool() ? Int.max : input.int(in: -1...9000)
    // Short runs make many of them: keep those lists to a few thousand runs.
    let largest = maxRun < 256 ? 2048 : 32 << 10
    let sourceTotal = input.int(in: 1...largest)
    let destinationTotal = input.bool() ? sourceTotal : input.int(in: 1...largest)
    let sourceBlocks = Blocks(lengths: cuts(of: sourceTotal, maximumCount: 16, &input), emptyBaseSeed: seed,
                              contents: pattern(seed: seed, count: sourceTotal))
    let destinationBlocks = Blocks(lengths: cuts(of: destinationTotal, maximumCount: 16, &input), emptyBaseSeed: seed,
                                   contents: pattern(seed: seed &+ 1, count: destinationTotal))
    defer { sourceBlocks.free(); destinationBlocks.free() }
    let source = sourceBlocks.iovecs.withUnsafeBufferPointer { Piece.list($0) }
    let destination = destinationBlocks.iovecs.withUnsafeBufferPointer { Piece.list($0) }
    let bytes = input.bool() ? min(sourceTotal, destinationTotal) : input.int(in: -1...(40 << 10))
    let pairs = SegmentPairs(source: source, destination: destination, bytes: bytes, maxRun: maxRun)
    var offset = 0
    for run in pairs {
        guard let from = locate(offset, in: source), let to = locate(offset, in: destination) else {
            return require(false, "run \(run) past the end of a side at offset \(offset)")
        }
        require(run.source == from.address && run.destination == to.address,
                "run \(run) at offset \(offset), expected source \(from.address) destination \(to.address)")
        require(run.length > 0 && run.length <= max(1, maxRun) && run.length <= from.left && run.length <= to.left,
                "run \(run) is empty, above maxRun \(maxRun), or leaves a piece")
        offset += run.length
    }
    let expected = max(0, min(bytes, sourceTotal, destinationTotal))
    require(offset == expected, "runs move \(offset) bytes, expected \(expected)")
    if bytes == sourceTotal && sourceTotal == destinationTotal {
        CPUCopy.copy(from: source, to: destination, bytes: bytes)
        if let first = destinationBlocks.firstDifference(from: pattern(seed: seed, count: bytes)) {
            require(false, "CPUCopy.copy: destination byte \(first) of \(bytes) differs")
        }
        CPUCopy.zero(destination)
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 1)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        require(destinationBlocks.firstDifference(from: UnsafeRawBufferPointer(zeros)) == nil, "CPUCopy.zero left a byte")
    }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDMABufSegments(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    if input.bool() { fuzzList(&input) } else { fuzzPairs(&input) }
    return 0
}
