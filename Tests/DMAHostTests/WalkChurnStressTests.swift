import CDMAHostABI
@testable import DMAHost
import DMASync
import Foundation
import Synchronization
import Testing

/// Two threads walk the whole registry with get_first/get_next and read the id and type of
/// every domain they get, while two threads create and destroy domains as fast as they can:
/// the domain a walker holds is routinely destroyed before it asks for the next one.
///
/// A walker reads a domain only inside `Registry.withReclamationDeferred`: the quarantine
/// keeps destroyed domains readable for a number of destroys counted process-wide, and the
/// other suites of this process destroy domains in bursts, so only a hold makes the reads
/// safe here whatever runs in parallel. The pointer a walker passes to get_next is not held:
/// by then it may have been destroyed and freed. (The C conformance program runs the same
/// walk against the quarantine alone, in a process of its own.)
///
/// The bounded test runs 2 s or 200,000 destroys per churning thread, whichever comes first;
/// with DMAHOST_STRESS_SECONDS set, the long test runs that many seconds.
@Suite("Walks while other threads create and destroy")
struct WalkChurnStressTests {
    /// Seconds of the long test, from the environment.
    static var longSeconds: Double? {
        ProcessInfo.processInfo.environment["DMAHOST_STRESS_SECONDS"].flatMap(Double.init)
    }

    @Test("2 threads walk and read ids while 2 threads create and destroy (bounded)")
    func bounded() {
        stress(seconds: 2, destroysPerChurner: 200_000)
    }

    @Test("the same stress for DMAHOST_STRESS_SECONDS seconds",
          .enabled(if: longSeconds != nil, "set DMAHOST_STRESS_SECONDS=<seconds> to run it"))
    func long() {
        stress(seconds: Self.longSeconds ?? 10, destroysPerChurner: .max)
    }

    /// What the threads saw; failures keep their first few messages.
    private final class Outcome: Sendable {
        let walks = Atomic<Int>(0)
        let steps = Atomic<Int>(0)
        let destroys = Atomic<Int>(0)
        let churnersLeft = Atomic<Int>(2)
        let messages = Locked<[String]>([])

        func fail(_ message: String) {
            messages.withLock { if $0.count < 10 { $0.append(message) } }
        }
    }

    private func stress(seconds: Double, destroysPerChurner: Int) {
        let prefix = uniqueID()
        let ids = ["\(prefix)-a", "\(prefix)-b"]
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let outcome = Outcome()
        onThreads(4) { thread in
            if thread < 2 {
                Self.churn(thread: thread, ids: ids, deadline: deadline, destroys: destroysPerChurner, outcome: outcome)
                outcome.churnersLeft.subtract(1, ordering: .releasing)
            } else {
                while outcome.churnersLeft.load(ordering: .acquiring) > 0 {
                    Self.walk(prefix: prefix, ids: ids, filter: nil, outcome: outcome)
                    Self.walk(prefix: prefix, ids: ids, filter: ids[thread - 2], outcome: outcome)
                    outcome.walks.add(2, ordering: .relaxed)
                }
            }
        }
        let messages = outcome.messages.withLock { $0 }
        #expect(messages.isEmpty, "\(messages.joined(separator: "\n"))")
        #expect(outcome.walks.load(ordering: .relaxed) > 0)
        for id in ids { #expect(cFirst(id: id) == nil) }
        print("walk/churn stress: \(outcome.destroys.load(ordering: .relaxed)) domains created and destroyed, "
              + "\(outcome.walks.load(ordering: .relaxed)) walks, \(outcome.steps.load(ordering: .relaxed)) get_next steps")
    }

    /// Keeps up to 16 domains of its own (ids `ids[0]`, `ids[1]` or none, type ACCEL) and
    /// creates or destroys one at random each round, until it has destroyed `destroys` or the
    /// deadline passed; destroys what is left at the end.
    private static func churn(thread: Int, ids: [String], deadline: ContinuousClock.Instant, destroys: Int, outcome: Outcome) {
        var random = SystemRandomNumberGenerator()
        var pool: [CDomain] = []
        var destroyed = 0
        var round = 0
        while destroyed < destroys, round % 64 != 0 || ContinuousClock.now < deadline {
            round += 1
            if pool.count < 16 && (pool.isEmpty || Bool.random(using: &random)) {
                let choice = Int.random(in: 0...2, using: &random)
                guard let domain = cCreate(SPDK_DMA_DEVICE_TYPE_ACCEL, id: choice < 2 ? ids[choice] : nil) else {
                    outcome.fail("churner \(thread): create failed")
                    break
                }
                pool.append(domain)
            } else {
                spdk_memory_domain_destroy(pool.remove(at: Int.random(in: 0..<pool.count, using: &random)))
                destroyed += 1
            }
        }
        outcome.destroys.add(destroyed, ordering: .relaxed)
        pool.forEach { spdk_memory_domain_destroy($0) }
    }

    /// One walk from get_first to the end, reading the id and type of every domain it gets.
    /// Checks that the system domain comes first, that the test's domains have their ids and
    /// type, that a filtered walk returns only matching domains, and that the walk ends.
    private static func walk(prefix: String, ids: [String], filter: String?, outcome: Outcome) {
        let filterC = filter.map { strdup($0) } ?? nil
        defer { free(filterC) }
        /// Reads `domain` (with a hold) and reports what is wrong with it, if anything.
        func check(_ domain: CDomain) -> String? {
            let id = cID(domain)
            if let filter, id != filter { return "a walk filtered by \(filter) returned a domain with id \(id ?? "NULL")" }
            guard let id, id.hasPrefix(prefix) else { return nil }
            if !ids.contains(id) { return "a domain has the id \(id), which no thread gave" }
            let type = spdk_memory_domain_get_dma_device_type(domain)
            return type == SPDK_DMA_DEVICE_TYPE_ACCEL ? nil : "a domain with id \(id) has type \(type.rawValue)"
        }
        var cursor = Registry.withReclamationDeferred { () -> CDomain? in
            let first = spdk_memory_domain_get_first(filterC)
            if filter == nil, first != spdk_memory_domain_get_system_domain() {
                outcome.fail("get_first(NULL) is not the system domain")
            }
            if let first, let problem = check(first) { outcome.fail(problem) }
            return first
        }
        var steps = 0
        while let current = cursor {
            // Now and then let the churners run, so that `current` may be destroyed (and freed)
            // before the walk moves on from it.
            if steps % 8 == 7 { sched_yield() }
            cursor = Registry.withReclamationDeferred { () -> CDomain? in
                let next = spdk_memory_domain_get_next(current, filterC)
                if let next, let problem = check(next) { outcome.fail(problem) }
                return next
            }
            steps += 1
            if steps > 1_000_000 {
                outcome.fail("a walk did not end after a million steps")
                break
            }
        }
        outcome.steps.add(steps, ordering: .relaxed)
    }
}
