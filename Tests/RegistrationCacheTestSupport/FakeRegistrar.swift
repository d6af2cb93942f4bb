import RegistrationCache
import Synchronization

/// A registration function that records what it was asked to do: the stand-in for
/// `ibv_reg_mr`/`ibv_dereg_mr` in the tests of ``RegistrationCache`` (RegistrationCacheTests)
/// and of the memory monitor (RDMAVerbsTests).
public final class FakeRegistrar: Sendable {
    /// What a fake registration returns: a serial number and the pages it covers.
    public struct Handle: Equatable, Sendable {
        /// 1 for the first registration, then counting up.
        public let id: Int
        /// The pages registered.
        public let range: PageRange
    }

    private struct Log {
        var next = 1
        var registered: [Handle] = []
        var deregistered: [Handle] = []
        var alive: [Int: Handle] = [:]
        var failWith: RegistrationFailure?
        var failures = 0
    }

    private let log = Mutex(Log())

    /// Creates a registrar that has registered nothing.
    public init() {}

    /// Every registration made, in order.
    public var registered: [Handle] { log.withLock { $0.registered } }
    /// Every deregistration made, in order.
    public var deregistered: [Handle] { log.withLock { $0.deregistered } }
    /// The registrations not deregistered yet.
    public var alive: [Handle] { log.withLock { Array($0.alive.values) } }

    /// Makes the next `count` registrations fail with `failure`.
    public func failNext(_ failure: RegistrationFailure?, count: Int = 1) {
        log.withLock { log in
            log.failWith = failure
            log.failures = count
        }
    }

    /// A cache of at most `pages` pages that registers through this registrar.
    public func makeCache(pages: UInt, pageSize: UInt = 4096) -> RegistrationCache<Handle> {
        let functions = functions
        return RegistrationCache(pageSize: pageSize, maxBytes: pages * pageSize,
                                 register: functions.register, deregister: functions.deregister)
    }

    /// Registration and deregistration functions for a cache built elsewhere.
    public var functions: (register: RegistrationCache<Handle>.Register, deregister: RegistrationCache<Handle>.Deregister) {
        ({ range throws(RegistrationFailure) in try self.register(range) },
         { handle in
            self.log.withLock { log in
                log.deregistered.append(handle)
                log.alive[handle.id] = nil
            }
         })
    }

    private func register(_ range: PageRange) throws(RegistrationFailure) -> Handle {
        let result: Result<Handle, RegistrationFailure> = log.withLock { log in
            if let failure = log.failWith, log.failures > 0 {
                log.failures -= 1
                return .failure(failure)
            }
            let handle = Handle(id: log.next, range: range)
            log.next += 1
            log.registered.append(handle)
            log.alive[handle.id] = handle
            return .success(handle)
        }
        return try result.get()
    }
}
