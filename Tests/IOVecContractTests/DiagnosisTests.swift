import CDMAHostABI
import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A completion that is never called (the checks only compare it with NULL).
private let neverCalled: spdk_memory_domain_data_cpl_cb = { _, _ in }

/// A small seeded generator (xorshift64*), so that a failure repeats.
private struct Xorshift {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return Int((state &* 2_685_821_657_736_338_717) >> 33) % bound
    }
}

/// `IOVecContract.diagnose…` against the checks of `dmahost/iovec.h`: the same verdict (and
/// errno) on every input, and a violation that names the argument, the entry and the rule.
@Suite("dmahost/iovec.h: which argument broke which rule")
struct DiagnosisTests {
    /// Entries mixing every case the checks distinguish (no memory behind the addresses).
    private static func randomList(_ random: inout Xorshift) -> [iovec]? {
        if random.next(12) == 0 { return nil }
        let bases: [UInt] = [0, 0x1000, UInt.max - 8, 0x7fff_0000]
        let lengths = [0, 1, 8, 4096, Int.max, Int.max / 2 + 1, -1, Int.min]
        return (0..<random.next(5)).map { _ in
            iovec(iov_base: UnsafeMutableRawPointer(bitPattern: bases[random.next(bases.count)]), iov_len: lengths[random.next(lengths.count)])
        }
    }

    @Test("agrees with dmahost_iov_check_copy and dmahost_iov_check_memzero on 20000 random argument sets")
    func agreesWithTheChecks() {
        var random = Xorshift(state: 0x9E37_79B9_7F4A_7C15)
        for _ in 0..<20_000 {
            var source = Self.randomList(&random), destination = Self.randomList(&random)
            let completion = random.next(20) == 0 ? nil : neverCalled
            let sourceCount = UInt32(source?.count ?? 1 + random.next(2))
            let destinationCount = UInt32(destination?.count ?? random.next(2))
            var total = 0
            let (rc, violation) = withOptionalPointer(&source) { s in
                withOptionalPointer(&destination) { d in
                    (dmahost_iov_check_copy(completion, s, sourceCount, d, destinationCount, &total),
                     IOVecContract.diagnoseCopy(completion: completion, source: s, sourceCount: sourceCount,
                                                destination: d, destinationCount: destinationCount))
                }
            }
            #expect(rc == (violation?.error.negativeErrno ?? 0), "\(String(describing: source)) → \(String(describing: destination)): \(String(describing: violation))")
            let (fillRC, fillViolation) = withOptionalPointer(&destination) { d in
                (dmahost_iov_check_memzero(completion, d, destinationCount, &total),
                 IOVecContract.diagnoseMemzero(completion: completion, buffers: d, count: destinationCount))
            }
            #expect(fillRC == (fillViolation?.error.negativeErrno ?? 0))
            if let fillViolation, fillViolation.argument != .completion { #expect(fillViolation.argument == .destination) }
        }
    }

    @Test("each rule names its argument, entry and values")
    func messages() {
        let base = UnsafeMutableRawPointer(bitPattern: 0x1000)
        func copy(_ source: [iovec], _ destination: [iovec], completion: spdk_memory_domain_data_cpl_cb? = neverCalled) -> IOVecViolation? {
            var source = source, destination = destination
            return source.withUnsafeMutableBufferPointer { s in
                destination.withUnsafeMutableBufferPointer { d in
                    IOVecContract.diagnoseCopy(completion: completion, source: s.baseAddress, sourceCount: UInt32(s.count),
                                               destination: d.baseAddress, destinationCount: UInt32(d.count))
                }
            }
        }
        let one = [iovec(iov_base: base, iov_len: 4096)]
        #expect(copy(one, one) == nil)
        #expect(copy(one, one, completion: nil) == IOVecViolation(.completion, .nullCompletion))
        #expect(copy(one, [iovec(iov_base: base, iov_len: 8192)])?.description
                == "source and destination totals differ: 4096 vs 8192 bytes; both sides must describe the same number of bytes")
        let tooLong = copy(one, [iovec(iov_base: base, iov_len: 1), iovec(), iovec(iov_base: base, iov_len: -1)])
        #expect(tooLong == IOVecViolation(.destination, .entryTooLong(entry: 2, length: UInt.max)))
        #expect(tooLong?.description == "destination iovec 2: length 18446744073709551615 exceeds SSIZE_MAX (9223372036854775807)")
        let wraps = copy([iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt.max - 8), iov_len: 16)], one)
        #expect(wraps?.error == .badAddress)
        #expect(wraps?.description == "source iovec 0: base 0xfffffffffffffff7 + length 16 wraps past the end of the address space")
        #expect(copy([iovec(iov_base: nil, iov_len: 16)], one)?.description == "source iovec 0: length 16 with a NULL base")
        #expect(copy([iovec(iov_base: base, iov_len: Int.max), iovec(iov_base: base, iov_len: 1)], one)
                == IOVecViolation(.source, .totalTooLarge(entry: 1)))
        #expect(copy(one, [])?.description == "destination iovec list: 0 bytes in 0 entries; describe at least 1 byte")
        #expect(IOVecContract.diagnoseMemzero(completion: neverCalled, buffers: nil, count: 3)?.description
                == "destination iovec list: a NULL array with 3 entries")
    }

    @Test("the DMAError keeps the contract's errno and says what broke")
    func dmaError() {
        let totals = IOVecViolation(.destination, .totalsDiffer(source: 1, destination: 2)).dmaError("push into cpu:0")
        #expect(totals.errno == EINVAL)
        #expect(totals.message.hasPrefix("push into cpu:0: source and destination totals differ: 1 vs 2 bytes"))
        let null = IOVecViolation(.source, .nullBase(entry: 0, length: 5)).dmaError("pull from cpu:0")
        #expect(null.errno == EFAULT && null.message.contains("source iovec 0: length 5 with a NULL base"))
    }
}

/// Calls `body` with a pointer to `list`'s elements, or NULL for nil.
private func withOptionalPointer<R>(_ list: inout [iovec]?, _ body: (UnsafeMutablePointer<iovec>?) -> R) -> R {
    guard list != nil else { return body(nil) }
    return list!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
