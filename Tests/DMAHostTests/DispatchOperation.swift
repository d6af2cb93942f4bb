import CDMAHostABI
import Foundation
import Synchronization
import Testing

/// Counts completions: pass ``argument`` as `cpl_cb_arg` and ``callback`` as `cpl_cb`.
/// The object must stay alive until every completion it may receive has run.
final class CompletionCounter: Sendable {
    /// How many times the completion ran.
    let count = Atomic<Int>(0)
    /// The rc of the last completion.
    let lastRC = Atomic<Int32>(Int32.min)

    /// The `cpl_cb_arg` to hand to an operation.
    var argument: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// The `cpl_cb` to hand to an operation.
    static let callback: spdk_memory_domain_data_cpl_cb = { arg, rc in
        guard let arg else { return }
        let counter = Unmanaged<CompletionCounter>.fromOpaque(arg).takeUnretainedValue()
        counter.lastRC.store(rc, ordering: .sequentiallyConsistent)
        counter.count.add(1, ordering: .sequentiallyConsistent)
    }

    /// `callback` as the address the recorder stores.
    static var callbackAddress: UInt { unsafeBitCast(callback, to: UInt.self) }
}

/// The six dispatched operations, each with its setter and an invocation that makes
/// `owner`'s callback the one to run, and the call the recorder must then see.
enum DispatchOperation: CaseIterable, Sendable, CustomTestStringConvertible {
    case pull, push, transfer, translate, invalidate, memzero

    var testDescription: String { "\(self)" }

    /// The recorder's kind for this operation.
    var kind: Recorder.Kind {
        switch self {
        case .pull: .pull
        case .push: .push
        case .transfer: .transfer
        case .translate: .translate
        case .invalidate: .invalidate
        case .memzero: .memzero
        }
    }

    /// False for invalidate, which returns nothing.
    var returnsRC: Bool { self != .invalidate }

    /// Whether the operation carries a completion callback.
    var hasCompletion: Bool { self != .translate && self != .invalidate }

    /// Sets (variant) or clears (nil) this operation's callback on `domain`.
    func set(_ domain: CDomain?, _ variant: Recorder.Variant?) {
        switch self {
        case .pull: spdk_memory_domain_set_pull(domain, variant.map { $0 == .a ? Recorder.pullA : Recorder.pullB })
        case .push: spdk_memory_domain_set_push(domain, variant.map { $0 == .a ? Recorder.pushA : Recorder.pushB })
        case .transfer: spdk_memory_domain_set_data_transfer(domain, variant.map { $0 == .a ? Recorder.transferA : Recorder.transferB })
        case .translate: spdk_memory_domain_set_translation(domain, variant.map { $0 == .a ? Recorder.translateA : Recorder.translateB })
        case .invalidate: spdk_memory_domain_set_invalidate(domain, variant.map { $0 == .a ? Recorder.invalidateA : Recorder.invalidateB })
        case .memzero: spdk_memory_domain_set_memzero(domain, variant.map { $0 == .a ? Recorder.memzeroA : Recorder.memzeroB })
        }
    }

    /// Invokes the operation so that `owner`'s callback is the one to run (pull: source,
    /// push: destination, transfer: destination, translate: source, memzero/invalidate: itself).
    /// Every pointer argument is a tag, except the completion (`counter`). Returns the rc (0 for invalidate).
    @discardableResult
    func invoke(owner: CDomain?, other: CDomain?, counter: CompletionCounter) -> Int32 {
        let iovA = tag(2).assumingMemoryBound(to: iovec.self)
        let iovB = tag(3).assumingMemoryBound(to: iovec.self)
        let translation = tag(6).assumingMemoryBound(to: spdk_memory_domain_translation_result.self)
        let cpl = CompletionCounter.callback
        switch self {
        case .pull:
            return spdk_memory_domain_pull_data(owner, tag(1), iovA, 3, iovB, 5, cpl, counter.argument)
        case .push:
            return spdk_memory_domain_push_data(owner, tag(1), iovA, 3, iovB, 5, cpl, counter.argument)
        case .transfer:
            return spdk_memory_domain_transfer_data(owner, tag(1), iovA, 3, other, tag(5), iovB, 5, translation, cpl, counter.argument)
        case .translate:
            return spdk_memory_domain_translate_data(owner, tag(1), other, tag(7).assumingMemoryBound(to: spdk_memory_domain_translation_ctx.self),
                                                     tag(8), 4096, translation)
        case .invalidate:
            spdk_memory_domain_invalidate_data(owner, tag(1), iovA, 3)
            return 0
        case .memzero:
            return spdk_memory_domain_memzero(owner, tag(1), iovA, 3, cpl, counter.argument)
        }
    }

    /// The call the recorder must see after ``invoke(owner:other:counter:)``.
    func expectedCall(_ variant: Recorder.Variant, owner: CDomain, other: CDomain?, counter: CompletionCounter) -> Recorder.Call {
        let a: (UnsafeRawPointer?) -> UInt = Recorder.address
        var call = Recorder.Call(kind: kind, variant: variant, domain: a(UnsafeRawPointer(owner)), domainCtx: a(tag(1)))
        switch self {
        case .pull, .push:
            call.iov = a(tag(2)); call.iovcnt = 3; call.iov2 = a(tag(3)); call.iovcnt2 = 5
        case .transfer:
            call.iov = a(tag(2)); call.iovcnt = 3; call.iov2 = a(tag(3)); call.iovcnt2 = 5
            call.otherDomain = a(other.map { UnsafeRawPointer($0) }); call.otherCtx = a(tag(5)); call.translation = a(tag(6))
        case .translate:
            call.otherDomain = a(other.map { UnsafeRawPointer($0) }); call.otherCtx = a(tag(7)); call.addr = a(tag(8)); call.len = 4096
            call.translation = a(tag(6))
        case .invalidate, .memzero:
            call.iov = a(tag(2)); call.iovcnt = 3
        }
        if hasCompletion {
            call.cplCb = CompletionCounter.callbackAddress
            call.cplArg = a(counter.argument)
        }
        return call
    }
}
