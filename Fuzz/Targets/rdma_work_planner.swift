#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `rdma_work_planner`: WorkPlanner (Plugins/RDMAVerbs/RDMAVerbsKit/Engine), which
// cuts an operation's remote and local segments into RDMA work requests.
//
// Two modes. In the memory mode every segment is a heap block of its own (the remote side
// holds a pattern); the plan is checked structurally and then executed as an RDMA READ would
// (each request's remote bytes scattered over its local entries with memcpy), and the local
// side must then equal the remote bytes. In the arithmetic mode segments have any lengths
// (sums that overflow, lengths up to 2^64 - 1) at addresses where they do not wrap; the verdict
// must follow the documented rules, and a plan, when one is small enough to build, the same
// structural checks. Both pass the sides as slices that do not start at index 0.
//
// Structure checked: the requests' remote ranges, in order, are the remote bytes in order, each
// inside one segment with that segment's rkey; the local entries, in order, are the local
// bytes in order, each inside one segment with its lkey; a request has 1...maxSGE entries,
// holds their total, at most min(maxMessage, UInt32.max) bytes; totalBytes is the sum.

/// Where stream offset `offset` of `segments` lies: the address, the key and the bytes left
/// in that segment (zero-length segments are skipped).
private func locate(_ offset: UInt64, in segments: ArraySlice<KeyedSegment>) -> (address: UInt64, key: UInt32, left: UInt64)? {
    var start: UInt64 = 0
    for segment in segments where segment.length > 0 {
        if offset < start + segment.length {
            return (segment.address + (offset - start), segment.key, segment.length - (offset - start))
        }
        start += segment.length
    }
    return nil
}

/// The structural checks (header comment) of `plan` for these sides and limits.
private func checkStructure(_ plan: WorkPlan, remote: ArraySlice<KeyedSegment>, local: ArraySlice<KeyedSegment>,
                            total: UInt64, maxSGE: Int, maxMessage: UInt64) {
    require(plan.totalBytes == total, "totalBytes \(plan.totalBytes), sides hold \(total)")
    let messageLimit = min(maxMessage, UInt64(UInt32.max))
    var remoteOffset: UInt64 = 0, localOffset: UInt64 = 0, nextSGE = 0
    for (index, request) in plan.requests.enumerated() {
        require(request.firstSGE == nextSGE, "request \(index) starts at entry \(request.firstSGE), expected \(nextSGE)")
        require((1...maxSGE).contains(request.sgeCount), "request \(index) has \(request.sgeCount) entries, max_sge \(maxSGE)")
        require(request.length > 0 && request.length <= messageLimit, "request \(index) of \(request.length) bytes, limit \(messageLimit)")
        guard let place = locate(remoteOffset, in: remote) else { return require(false, "request \(index) past the remote bytes") }
        require(request.remoteAddress == place.address && request.rkey == place.key,
                "request \(index) reads \(request.remoteAddress) key \(request.rkey), expected \(place.address) key \(place.key)")
        require(request.length <= place.left, "request \(index) runs past the end of its remote segment")
        var sum: UInt64 = 0
        for entry in plan.sges[request.firstSGE..<(request.firstSGE + request.sgeCount)] {
            guard let spot = locate(localOffset, in: local) else { return require(false, "local entry past the local bytes") }
            require(entry.address == spot.address && entry.lkey == spot.key,
                    "local entry \(entry) at offset \(localOffset), expected \(spot.address) key \(spot.key)")
            require(entry.length > 0 && UInt64(entry.length) <= spot.left, "local entry \(entry) leaves its segment or is empty")
            sum += UInt64(entry.length)
            localOffset += UInt64(entry.length)
        }
        require(sum == request.length, "request \(index) holds \(request.length) bytes, its entries \(sum)")
        remoteOffset += request.length
        nextSGE += request.sgeCount
    }
    require(nextSGE == plan.sges.count, "\(plan.sges.count - nextSGE) local entries belong to no request")
    require(remoteOffset == total && localOffset == total, "plan covers \(remoteOffset) remote, \(localOffset) local of \(total) bytes")
}

/// Embeds `segments` in a larger array, so that the slice starts past index 0.
private func slice(_ segments: [KeyedSegment], padding: Int) -> ArraySlice<KeyedSegment> {
    let filler = KeyedSegment(address: 0xDEAD_0000, length: 1 << 40, key: 0xBAD)
    let all = Array(repeating: filler, count: padding) + segments + [filler]
    return all[padding..<(padding + segments.count)]
}

private func limits(_ input: inout FuzzInput) -> (maxSGE: Int, maxMessage: UInt64) {
    let maxSGE = input.byte() % 16 == 0 ? 0 : input.int(in: 1...9)
    let maxMessage: UInt64 = switch input.byte() % 5 {
    case 0: 0
    case 1: UInt64(input.int(in: 1...300))
    case 2: UInt64(input.int(in: 1...8192))
    case 3: UInt64(UInt32.max) + input.unsigned(bytes: 1)
    default: input.unsigned(bytes: 8) | 1
    }
    return (maxSGE, maxMessage)
}

private func fuzzMemory(_ input: inout FuzzInput) {
    let (maxSGE, maxMessage) = limits(&input)
    let seed = input.byte()
    // Small messages make many requests: keep those plans to a few thousand requests.
    let total = input.int(in: 1...(maxMessage < 512 ? 2048 : 16 << 10))
    let remoteBlocks = Blocks(lengths: cuts(of: total, maximumCount: 12, &input), emptyBaseSeed: seed,
                              contents: pattern(seed: seed, count: total))
    let localBlocks = Blocks(lengths: cuts(of: total, maximumCount: 12, &input), emptyBaseSeed: seed &+ 3,
                             contents: pattern(seed: seed &+ 1, count: total))
    defer { remoteBlocks.free(); localBlocks.free() }
    func segments(_ blocks: Blocks, keyBase: UInt32) -> [KeyedSegment] {
        zip(blocks.iovecs.indices, blocks.iovecs).map { index, entry in
            KeyedSegment(address: UInt64(UInt(bitPattern: entry.iov_base)), length: UInt64(entry.iov_len), key: keyBase + UInt32(index))
        }
    }
    let remote = slice(segments(remoteBlocks, keyBase: 1000), padding: input.int(in: 0...3))
    let local = slice(segments(localBlocks, keyBase: 2000), padding: input.int(in: 0...3))
    let plan: WorkPlan
    do throws(WorkPlanner.Failure) {
        plan = try WorkPlanner.plan(remote: remote, local: local, maxSGE: maxSGE, maxMessage: maxMessage)
    } catch {
        require(error == .invalidLimits && (maxSGE == 0 || maxMessage == 0), "equal sides of \(total) bytes refused: \(error)")
        return
    }
    require(maxSGE > 0 && maxMessage > 0, "zero limit accepted")
    checkStructure(plan, remote: remote, local: local, total: UInt64(total), maxSGE: maxSGE, maxMessage: maxMessage)
    for request in plan.requests {
        var from = UnsafeRawPointer(bitPattern: UInt(request.remoteAddress))!
        for entry in plan.sges[request.firstSGE..<(request.firstSGE + request.sgeCount)] {
            memcpy(UnsafeMutableRawPointer(bitPattern: UInt(entry.address))!, from, Int(entry.length))
            from += Int(entry.length)
        }
    }
    if let first = localBlocks.firstDifference(from: pattern(seed: seed, count: total)) {
        require(false, "after the plan ran, local byte \(first) of \(total) differs from the remote bytes")
    }
}

/// A side of any lengths, at addresses where each segment ends inside the address space.
private func arithmeticSide(_ input: inout FuzzInput, keyBase: UInt32) -> [KeyedSegment] {
    (0..<input.int(in: 0...6)).map { index in
        let length: UInt64 = switch input.byte() % 6 {
        case 0: 0
        case 1: input.unsigned(bytes: 2)
        case 2: UInt64.max - input.unsigned(bytes: 1)
        case 3: UInt64(1) << input.int(in: 0...63)
        case 4: UInt64(UInt32.max) + input.unsigned(bytes: 1)
        default: input.unsigned(bytes: 8)
        }
        let room = UInt64.max - length
        let address = room == .max ? input.unsigned(bytes: 8) : input.unsigned(bytes: 8) % (room + 1)
        return KeyedSegment(address: address, length: length, key: keyBase + UInt32(index))
    }
}

private func fuzzArithmetic(_ input: inout FuzzInput) {
    let (maxSGE, maxMessage) = limits(&input)
    let remote = slice(arithmeticSide(&input, keyBase: 1000), padding: input.int(in: 0...2))
    let local = slice(arithmeticSide(&input, keyBase: 2000), padding: input.int(in: 0...2))
    func total(_ side: ArraySlice<KeyedSegment>) -> UInt64? {
        side.reduce(UInt64(0) as UInt64?) { sum, segment in
            guard let sum else { return nil }
            let (next, overflow) = sum.addingReportingOverflow(segment.length)
            return overflow ? nil : next
        }
    }
    let remoteTotal = total(remote), localTotal = total(local)
    let expected: WorkPlanner.Failure? =
        if maxSGE <= 0 || maxMessage == 0 { .invalidLimits }
        else if remoteTotal == nil || localTotal == nil || remoteTotal != localTotal || remoteTotal == .max {
            .lengthMismatch(local: localTotal ?? .max, remote: remoteTotal ?? .max)
        } else if remoteTotal == 0 { .nothingToMove }
        else { nil }
    if expected == nil {
        // Only plans of a bounded size are built: requests <= remote pieces of maxMessage + local segments.
        let limit = min(maxMessage, UInt64(UInt32.max))
        let requests = remote.reduce(UInt64(local.count)) { $0 &+ ($1.length / limit) &+ 1 }
        guard requests <= 20_000, requests >= UInt64(local.count) else { return }
    }
    do throws(WorkPlanner.Failure) {
        let plan = try WorkPlanner.plan(remote: remote, local: local, maxSGE: maxSGE, maxMessage: maxMessage)
        require(expected == nil, "planned what should fail with \(String(describing: expected))")
        checkStructure(plan, remote: remote, local: local, total: remoteTotal ?? 0, maxSGE: maxSGE, maxMessage: maxMessage)
    } catch {
        require(error == expected, "failed with \(error), expected \(String(describing: expected))")
    }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRDMAWorkPlanner(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    if input.bool() { fuzzArithmetic(&input) } else { fuzzMemory(&input) }
    return 0
}
