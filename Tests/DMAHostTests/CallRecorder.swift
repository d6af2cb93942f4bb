import CDMAHostABI
import DMASync
import Foundation

/// Recording implementations of the six domain callbacks, shared by the dispatch, async and
/// stress tests.
///
/// A test tracks each domain it creates (``Recorder/track(_:rc:completion:)``) and sets the
/// recording callbacks on it. A callback files what it received under the domain it was
/// given as its first argument, so parallel tests never see each other's calls; a call for
/// an untracked domain counts as stray. Two variants (A, B) of each callback tell which
/// one the library invoked. Tests untrack before destroying (addresses are reused).
enum Recorder {
    /// Which operation a call was.
    enum Kind: Sendable { case pull, push, transfer, translate, invalidate, memzero }
    /// Which of the two callback variants ran.
    enum Variant: Sendable { case a, b }
    /// What a data callback does with the completion.
    enum Completion: Sendable {
        /// Never calls it (the library must not either).
        case none
        /// Calls it once with this rc before returning.
        case immediate(Int32)
        /// Keeps it for the test to call later (``takePending(_:)``).
        case deferred
        /// Calls it twice with this rc before returning (a broken domain).
        case twice(Int32)
    }

    /// Everything one invocation received, as addresses (0 for NULL).
    struct Call: Sendable, Equatable {
        var kind: Kind
        var variant: Variant
        var domain: UInt
        var domainCtx: UInt = 0
        var iov: UInt = 0
        var iovcnt: UInt32 = 0
        var iov2: UInt = 0
        var iovcnt2: UInt32 = 0
        var otherDomain: UInt = 0
        var otherCtx: UInt = 0
        var translation: UInt = 0
        var addr: UInt = 0
        var len: Int = 0
        var cplCb: UInt = 0
        var cplArg: UInt = 0
    }

    /// A completion a deferred callback kept: call ``complete(_:)`` exactly once.
    struct Pending: Sendable {
        let callback: UInt
        let argument: UInt
        /// Invokes the kept completion callback with `rc`.
        func complete(_ rc: Int32) {
            let cb = unsafeBitCast(callback, to: spdk_memory_domain_data_cpl_cb.self)
            cb(UnsafeMutableRawPointer(bitPattern: argument), rc)
        }
    }

    private struct Log {
        var rc: Int32
        var completion: Completion
        var calls: [Call] = []
        var pending: [Pending] = []
    }

    private struct State {
        var logs: [UInt: Log] = [:]
        var stray: [UInt: Int] = [:]
    }

    private static let state = Locked(State())

    static func address(_ pointer: CDomain?) -> UInt { pointer.map { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer($0))) } ?? 0 }
    static func address(_ pointer: UnsafeRawPointer?) -> UInt { pointer.map { UInt(bitPattern: Int(bitPattern: $0)) } ?? 0 }

    /// Starts recording calls for `domain`; callbacks return `rc` and handle completion as told.
    static func track(_ domain: CDomain, rc: Int32 = 0, completion: Completion = .none) {
        state.withLock { $0.logs[address(domain)] = Log(rc: rc, completion: completion) }
    }

    /// Changes what the callbacks do for `domain`, keeping its recorded calls.
    static func configure(_ domain: CDomain, rc: Int32, completion: Completion = .none) {
        state.withLock {
            $0.logs[address(domain)]?.rc = rc
            $0.logs[address(domain)]?.completion = completion
        }
    }

    /// Stops recording for `domain` (call before destroying it).
    static func untrack(_ domain: CDomain) {
        _ = state.withLock { $0.logs.removeValue(forKey: address(domain)) }
    }

    /// The calls recorded for `domain` so far, oldest first.
    static func calls(_ domain: CDomain) -> [Call] {
        state.withLock { $0.logs[address(domain)]?.calls ?? [] }
    }

    /// Forgets the recorded calls of `domain`.
    static func clear(_ domain: CDomain) {
        state.withLock { $0.logs[address(domain)]?.calls = [] }
    }

    /// Removes and returns the completions deferred callbacks kept for `domain`.
    static func takePending(_ domain: CDomain) -> [Pending] {
        state.withLock { state in
            defer { state.logs[address(domain)]?.pending = [] }
            return state.logs[address(domain)]?.pending ?? []
        }
    }

    /// How many callback invocations named `domain` without it being tracked.
    static func strayCalls(for domain: CDomain?) -> Int {
        state.withLock { $0.stray[address(domain)] ?? 0 }
    }

    /// Records `call`; returns the rc to give back and the completion to run (outside the lock).
    private static func record(_ call: Call, cpl: spdk_memory_domain_data_cpl_cb?, arg: UnsafeMutableRawPointer?) -> Int32 {
        let (rc, completion) = state.withLock { state -> (Int32, Completion) in
            guard state.logs[call.domain] != nil else {
                state.stray[call.domain, default: 0] += 1
                return (-EPROTO, .none)
            }
            state.logs[call.domain]!.calls.append(call)
            let log = state.logs[call.domain]!
            if case .deferred = log.completion, let cpl {
                state.logs[call.domain]!.pending.append(Pending(callback: unsafeBitCast(cpl, to: UInt.self), argument: address(arg)))
            }
            return (log.rc, log.completion)
        }
        if case .immediate(let cplRc) = completion, let cpl { cpl(arg, cplRc) }
        if case .twice(let cplRc) = completion, let cpl {
            cpl(arg, cplRc)
            cpl(arg, cplRc)
        }
        return rc
    }

    private static func cplAddress(_ cb: spdk_memory_domain_data_cpl_cb?) -> UInt { cb.map { unsafeBitCast($0, to: UInt.self) } ?? 0 }

    private static func twoIov(_ kind: Kind, _ variant: Variant, _ d: CDomain?, _ ctx: UnsafeMutableRawPointer?,
                               _ iov: UnsafeMutablePointer<iovec>?, _ n: UInt32, _ iov2: UnsafeMutablePointer<iovec>?, _ n2: UInt32,
                               _ cpl: spdk_memory_domain_data_cpl_cb?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
        record(Call(kind: kind, variant: variant, domain: address(d), domainCtx: address(ctx), iov: address(iov), iovcnt: n,
                    iov2: address(iov2), iovcnt2: n2, cplCb: cplAddress(cpl), cplArg: address(arg)), cpl: cpl, arg: arg)
    }

    private static func transfer(_ variant: Variant, _ d: CDomain?, _ dctx: UnsafeMutableRawPointer?,
                                 _ iov: UnsafeMutablePointer<iovec>?, _ n: UInt32, _ s: CDomain?, _ sctx: UnsafeMutableRawPointer?,
                                 _ iov2: UnsafeMutablePointer<iovec>?, _ n2: UInt32,
                                 _ translation: UnsafeMutablePointer<spdk_memory_domain_translation_result>?,
                                 _ cpl: spdk_memory_domain_data_cpl_cb?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
        record(Call(kind: .transfer, variant: variant, domain: address(d), domainCtx: address(dctx), iov: address(iov), iovcnt: n,
                    iov2: address(iov2), iovcnt2: n2, otherDomain: address(s), otherCtx: address(sctx),
                    translation: address(translation), cplCb: cplAddress(cpl), cplArg: address(arg)), cpl: cpl, arg: arg)
    }

    private static func translate(_ variant: Variant, _ s: CDomain?, _ sctx: UnsafeMutableRawPointer?, _ d: CDomain?,
                                  _ dctx: UnsafeMutablePointer<spdk_memory_domain_translation_ctx>?, _ addr: UnsafeMutableRawPointer?,
                                  _ len: Int, _ result: UnsafeMutablePointer<spdk_memory_domain_translation_result>?) -> Int32 {
        let rc = record(Call(kind: .translate, variant: variant, domain: address(s), domainCtx: address(sctx), otherDomain: address(d),
                             otherCtx: address(dctx), translation: address(result), addr: address(addr), len: len), cpl: nil, arg: nil)
        // What an RDMA domain does on success: one iov in the destination's terms, plus keys.
        if rc == 0, let result, address(result) >= 0x1_0000_0000 {
            result.pointee.iov_count = 1
            result.pointee.iov = iovec(iov_base: addr, iov_len: len)
            result.pointee.dst_domain = d
            result.pointee.rdma.lkey = variant == .a ? 0xA000 : 0xB000
            result.pointee.rdma.rkey = variant == .a ? 0xA001 : 0xB001
        }
        return rc
    }

    private static func invalidate(_ variant: Variant, _ d: CDomain?, _ ctx: UnsafeMutableRawPointer?,
                                   _ iov: UnsafeMutablePointer<iovec>?, _ n: UInt32) {
        _ = record(Call(kind: .invalidate, variant: variant, domain: address(d), domainCtx: address(ctx), iov: address(iov), iovcnt: n),
                   cpl: nil, arg: nil)
    }

    private static func memzero(_ variant: Variant, _ d: CDomain?, _ ctx: UnsafeMutableRawPointer?,
                                _ iov: UnsafeMutablePointer<iovec>?, _ n: UInt32,
                                _ cpl: spdk_memory_domain_data_cpl_cb?, _ arg: UnsafeMutableRawPointer?) -> Int32 {
        record(Call(kind: .memzero, variant: variant, domain: address(d), domainCtx: address(ctx), iov: address(iov), iovcnt: n,
                    cplCb: cplAddress(cpl), cplArg: address(arg)), cpl: cpl, arg: arg)
    }

    static let pullA: spdk_memory_domain_pull_data_cb = { twoIov(.pull, .a, $0, $1, $2, $3, $4, $5, $6, $7) }
    static let pullB: spdk_memory_domain_pull_data_cb = { twoIov(.pull, .b, $0, $1, $2, $3, $4, $5, $6, $7) }
    static let pushA: spdk_memory_domain_push_data_cb = { twoIov(.push, .a, $0, $1, $2, $3, $4, $5, $6, $7) }
    static let pushB: spdk_memory_domain_push_data_cb = { twoIov(.push, .b, $0, $1, $2, $3, $4, $5, $6, $7) }
    static let transferA: spdk_memory_domain_transfer_data_cb = { transfer(.a, $0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
    static let transferB: spdk_memory_domain_transfer_data_cb = { transfer(.b, $0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
    static let translateA: spdk_memory_domain_translate_memory_cb = { translate(.a, $0, $1, $2, $3, $4, $5, $6) }
    static let translateB: spdk_memory_domain_translate_memory_cb = { translate(.b, $0, $1, $2, $3, $4, $5, $6) }
    static let invalidateA: spdk_memory_domain_invalidate_data_cb = { invalidate(.a, $0, $1, $2, $3) }
    static let invalidateB: spdk_memory_domain_invalidate_data_cb = { invalidate(.b, $0, $1, $2, $3) }
    static let memzeroA: spdk_memory_domain_memzero_cb = { memzero(.a, $0, $1, $2, $3, $4, $5) }
    static let memzeroB: spdk_memory_domain_memzero_cb = { memzero(.b, $0, $1, $2, $3, $4, $5) }

    /// Sets all six recording callbacks of `variant` on `domain` through the C setters.
    static func setAll(_ domain: CDomain?, _ variant: Variant) {
        spdk_memory_domain_set_pull(domain, variant == .a ? pullA : pullB)
        spdk_memory_domain_set_push(domain, variant == .a ? pushA : pushB)
        spdk_memory_domain_set_data_transfer(domain, variant == .a ? transferA : transferB)
        spdk_memory_domain_set_translation(domain, variant == .a ? translateA : translateB)
        spdk_memory_domain_set_invalidate(domain, variant == .a ? invalidateA : invalidateB)
        spdk_memory_domain_set_memzero(domain, variant == .a ? memzeroA : memzeroB)
    }
}
