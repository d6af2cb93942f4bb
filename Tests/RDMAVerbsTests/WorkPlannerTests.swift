@testable import RDMAVerbsKit
import SeededRandom
import Testing

private func seg(_ address: UInt64, _ length: UInt64, _ key: UInt32) -> KeyedSegment {
    KeyedSegment(address: address, length: length, key: key)
}

/// Merges contiguous runs with the same key and drops empty ones.
private func coalesce(_ segments: [KeyedSegment]) -> [KeyedSegment] {
    var result: [KeyedSegment] = []
    for segment in segments where segment.length > 0 {
        if let last = result.last, last.key == segment.key, last.address + last.length == segment.address {
            result[result.count - 1].length += segment.length
        } else {
            result.append(segment)
        }
    }
    return result
}

@Suite("Work planner: scatter-gather lists into RDMA work requests")
struct WorkPlannerTests {
    @Test("One buffer on each side is one request with one entry")
    func single() throws {
        let plan = try WorkPlanner.plan(remote: [seg(0x10000, 4096, 7)], local: [seg(0x20000, 4096, 9)], maxSGE: 4, maxMessage: 1 << 31)
        #expect(plan.requests == [PlannedRequest(remoteAddress: 0x10000, rkey: 7, length: 4096, firstSGE: 0, sgeCount: 1)])
        #expect(plan.sges == [LocalSGE(address: 0x20000, length: 4096, lkey: 9)])
        #expect(plan.totalBytes == 4096)
    }

    @Test("A remote buffer longer than the largest message is split")
    func splitByMessageSize() throws {
        let plan = try WorkPlanner.plan(remote: [seg(0, 10_000, 1)], local: [seg(1 << 20, 10_000, 2)], maxSGE: 4, maxMessage: 4096)
        #expect(plan.requests.map(\.length) == [4096, 4096, 1808])
        #expect(plan.requests.map(\.remoteAddress) == [0, 4096, 8192])
        #expect(plan.sges.map(\.address) == [1 << 20, (1 << 20) + 4096, (1 << 20) + 8192])
    }

    @Test("Local entries beyond max_sge start a new request")
    func splitBySGE() throws {
        let local = (0..<5).map { seg(UInt64(0x100000 + $0 * 0x1000), 100, UInt32($0)) }
        let plan = try WorkPlanner.plan(remote: [seg(0x9000, 500, 3)], local: local, maxSGE: 2, maxMessage: 1 << 31)
        #expect(plan.requests.map(\.sgeCount) == [2, 2, 1])
        #expect(plan.requests.map(\.remoteAddress) == [0x9000, 0x9000 + 200, 0x9000 + 400])
        #expect(plan.sges.map(\.lkey) == [0, 1, 2, 3, 4])
    }

    @Test("Different shapes on both sides are cut where either side's buffer ends")
    func mismatchedShapes() throws {
        let plan = try WorkPlanner.plan(remote: [seg(1000, 300, 1), seg(5000, 200, 2)],
                                        local: [seg(100_000, 250, 8), seg(200_000, 250, 9)], maxSGE: 8, maxMessage: 1 << 31)
        #expect(plan.requests == [
            PlannedRequest(remoteAddress: 1000, rkey: 1, length: 300, firstSGE: 0, sgeCount: 2),
            PlannedRequest(remoteAddress: 5000, rkey: 2, length: 200, firstSGE: 2, sgeCount: 1),
        ])
        #expect(plan.sges == [LocalSGE(address: 100_000, length: 250, lkey: 8), LocalSGE(address: 200_000, length: 50, lkey: 9),
                              LocalSGE(address: 200_050, length: 200, lkey: 9)])
    }

    @Test("Zero-length entries are skipped")
    func zeroLengthEntries() throws {
        let plan = try WorkPlanner.plan(remote: [seg(0, 0, 1), seg(64, 64, 2)], local: [seg(0x1000, 0, 5), seg(0x2000, 64, 6)],
                                        maxSGE: 2, maxMessage: 1 << 31)
        #expect(plan.requests.count == 1 && plan.totalBytes == 64 && plan.sges == [LocalSGE(address: 0x2000, length: 64, lkey: 6)])
    }

    @Test("A local side shorter or longer than the remote one is refused: nothing is truncated")
    func lengthMismatch() {
        #expect(throws: WorkPlanner.Failure.lengthMismatch(local: 10, remote: 20)) {
            try WorkPlanner.plan(remote: [seg(0, 20, 1)], local: [seg(0, 10, 1)], maxSGE: 2, maxMessage: 100)
        }
        #expect(throws: WorkPlanner.Failure.lengthMismatch(local: 1000, remote: 64)) {
            try WorkPlanner.plan(remote: [seg(0, 0, 1), seg(64, 64, 2)], local: [seg(0x1000, 0, 5), seg(0x2000, 1000, 6)],
                                 maxSGE: 2, maxMessage: 1 << 31)
        }
        #expect(throws: WorkPlanner.Failure.lengthMismatch(local: .max, remote: .max)) {
            try WorkPlanner.plan(remote: [seg(0, .max, 1), seg(0, 1, 1)], local: [seg(0, .max, 1), seg(0, 1, 1)], maxSGE: 2, maxMessage: 100)
        }
        #expect(throws: WorkPlanner.Failure.nothingToMove) {
            try WorkPlanner.plan(remote: [], local: [seg(0x1000, 0, 5)], maxSGE: 2, maxMessage: 1)
        }
        #expect(throws: WorkPlanner.Failure.invalidLimits) {
            try WorkPlanner.plan(remote: [], local: [], maxSGE: 0, maxMessage: 100)
        }
    }

    @Test("Slices of one array (as the engine passes both sides) plan like separate arrays", arguments: [21, 22])
    func slicesOfOneArray(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<100 {
            let remote = (0..<Int(random.next(upTo: UInt64(4)) + 1)).map { index in
                seg(0x1_0000_0000 + UInt64(index) << 20, random.next(upTo: UInt64(9000)), UInt32(index + 1))
            }
            let total = remote.reduce(0) { $0 + $1.length }
            var local: [KeyedSegment] = [seg(0x9000, 0, 50)]  // an empty first entry, skipped
            var remaining = total
            while remaining > 0 || local.count < 2 {
                let length = min(remaining, random.next(upTo: UInt64(3000)) + 1)
                local.append(seg(0x2_0000_0000 + UInt64(local.count) << 20, length, UInt32(100 + local.count)))
                remaining -= length
            }
            let both = remote + local
            let maxSGE = Int(random.next(upTo: UInt64(3))) + 1
            let maxMessage = random.next(upTo: UInt64(5000)) + 1
            let sliced = try WorkPlanner.plan(remote: both[..<remote.count], local: both[remote.count...], maxSGE: maxSGE, maxMessage: maxMessage)
            let separate = try WorkPlanner.plan(remote: remote, local: local, maxSGE: maxSGE, maxMessage: maxMessage)
            #expect(sliced == separate)
            #expect(!sliced.sges.contains { $0.lkey < 100 }, "a local entry came from the remote half")
        }
    }

    @Test("Random lists: every byte is mapped once, in order, within the limits", arguments: [11, 12, 13])
    func randomConservation(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let remote = (0..<Int(random.next(upTo: UInt64(6)) + 1)).map { index in
                seg(UInt64(index) << 32, random.next(upTo: UInt64(5000)), UInt32(index))
            }
            let total = remote.reduce(0) { $0 + $1.length }
            guard total > 0 else { continue }  // nothing to move: refused (tested above)
            var local: [KeyedSegment] = []
            var remaining = total
            while remaining > 0 || local.isEmpty {
                let length = min(remaining, random.next(upTo: UInt64(700)))
                local.append(seg((UInt64(local.count) << 32) | (1 << 63), length, UInt32(100 + local.count)))
                remaining -= length
            }
            let maxSGE = Int(random.next(upTo: UInt64(4))) + 1
            let maxMessage = random.next(upTo: UInt64(3000)) + 1
            let plan = try WorkPlanner.plan(remote: remote, local: local, maxSGE: maxSGE, maxMessage: maxMessage)
            #expect(plan.totalBytes == total)
            // Both sides, as coalesced runs, must equal the inputs.
            var plannedRemote: [KeyedSegment] = []
            var plannedLocal: [KeyedSegment] = []
            var limitsHeld = true
            for request in plan.requests {
                let sges = plan.sges[request.firstSGE..<(request.firstSGE + request.sgeCount)]
                limitsHeld = limitsHeld && request.sgeCount >= 1 && request.sgeCount <= maxSGE && request.length <= maxMessage
                    && sges.reduce(0) { $0 + UInt64($1.length) } == request.length
                plannedRemote.append(seg(request.remoteAddress, request.length, request.rkey))
                plannedLocal.append(contentsOf: sges.map { seg($0.address, UInt64($0.length), $0.lkey) })
            }
            #expect(limitsHeld)
            #expect(coalesce(plannedRemote) == coalesce(remote))
            #expect(coalesce(plannedLocal) == coalesce(local))
        }
    }
}
