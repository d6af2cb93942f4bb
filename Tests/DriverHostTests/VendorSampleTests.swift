import CDMAHostABI
@_spi(CABI) import DMAHost
import DriverHost
import Foundation
import SeededRandom
import Synchronization
import Testing

/// Counts completions delivered through the C callback and where they ran. The first
/// completion can be held (the engine's worker then blocks in it) until `release()`.
final class CompletionLog: Sendable {
    struct Entry: Sendable { var rc: Int32; var tag: Int; var onSubmitterThread: Bool }
    private let entries = Mutex<[Entry]>([])
    private let holdFirst: Bool
    private let entered = DispatchSemaphore(value: 0)
    private let gate = DispatchSemaphore(value: 0)
    let submitter = Mutex<pthread_t?>(nil)

    init(holdFirst: Bool = false) { self.holdFirst = holdFirst }

    /// The C completion callback; `arg` is a retained `Token`.
    static let callback: spdk_memory_domain_data_cpl_cb = { arg, rc in
        guard let arg else { return }
        let token = Unmanaged<Token>.fromOpaque(arg).takeRetainedValue()
        token.log.record(rc: rc, tag: token.tag)
    }

    /// One operation's callback argument.
    final class Token: Sendable {
        let log: CompletionLog, tag: Int
        init(log: CompletionLog, tag: Int) { self.log = log; self.tag = tag }
    }

    /// A retained argument for the callback (release it yourself if the submission fails).
    func argument(tag: Int) -> UnsafeMutableRawPointer {
        Unmanaged.passRetained(Token(log: self, tag: tag)).toOpaque()
    }

    private func record(rc: Int32, tag: Int) {
        let here = pthread_self()
        let onSubmitter = submitter.withLock { $0.map { pthread_equal($0, here) != 0 } ?? false }
        let first = entries.withLock { entries -> Bool in
            entries.append(Entry(rc: rc, tag: tag, onSubmitterThread: onSubmitter))
            return entries.count == 1
        }
        if holdFirst && first {
            entered.signal()
            gate.wait()
        }
    }

    /// Waits until the first completion is being held.
    func waitUntilHeld() -> Bool { entered.wait(timeout: .now() + 10) == .success }
    /// Lets the held completion return.
    func release() { gate.signal() }
    /// Waits until `count` completions were recorded.
    func wait(for count: Int) -> [Entry] {
        for _ in 0..<10_000 {
            let snapshot = entries.withLock { $0 }
            if snapshot.count >= count { return snapshot }
            usleep(1000)
        }
        return entries.withLock { $0 }
    }
    var snapshot: [Entry] { entries.withLock { $0 } }
}

@Suite("Vendor samples")
struct VendorSampleTests {
    static let devices = ["vendor-c:0", "vendor-swift:0"]

    /// A host with both samples (copied outside the build tree) and `deviceIDs` open. Keep the
    /// host alive while using the domains: a host that goes away closes its devices.
    func openHost(_ deviceIDs: String...) throws -> (DriverHost, [MemoryDomain]) {
        let (host, outcomes) = try PluginDirectory.withSamples().host()
        #expect(outcomes.rejections.isEmpty)
        var domains: [MemoryDomain] = []
        for id in deviceIDs { domains += try host.open(deviceID: id) }
        return (host, domains)
    }

    @Test("push then pull over random scatter-gather layouts is byte-exact", arguments: devices)
    func randomLayouts(_ deviceID: String) async throws {
        let (host, domains) = try openHost(deviceID)
        defer { host.shutdown() }
        let domain = try #require(domains.first)
        let seed = UInt64.random(in: 0...UInt64.max)
        var generator = SeededGenerator(seed: seed)
        for iteration in 0..<60 {
            let total = iteration == 0 ? 1 : Int.random(in: 1...20_000, using: &generator)
            let source = ScatterBuffer(lengths: Layout.random(total: total, maxSegments: 9, using: &generator))
            let device = ScatterBuffer(lengths: Layout.random(total: total, maxSegments: 9, using: &generator))
            let back = ScatterBuffer(lengths: Layout.random(total: total, maxSegments: 9, using: &generator))
            source.fillRandom(using: &generator)
            back.fill(0xA5)
            try await domain.push(into: device.iov(), from: source.iov())
            #expect(sameBytes(device, source), "push, seed \(seed), iteration \(iteration)")
            try await domain.pull(from: device.iov(), into: back.iov())
            #expect(sameBytes(back, source), "pull, seed \(seed), iteration \(iteration)")
        }
        host.closeAll()
    }

    @Test("memzero clears every segment", arguments: devices)
    func memzero(_ deviceID: String) async throws {
        let (host, domains) = try openHost(deviceID)
        defer { host.shutdown() }
        let domain = try #require(domains.first)
        var generator = SeededGenerator(seed: 7)
        let buffer = ScatterBuffer(lengths: Layout.random(total: 10_000, maxSegments: 12, using: &generator))
        buffer.fill(0xFF)
        try await domain.memzero(buffer.iov())
        #expect(buffer.bytes.allSatisfy { $0 == 0 } == true, "memzero left non-zero bytes")
    }

    @Test("transfer between the two plugins and within one device, both directions")
    func transfers() async throws {
        let (host, domains) = try openHost("vendor-c:0", "vendor-swift:1")
        defer { host.shutdown() }
        let c = domains[0], swift = domains[1]
        var generator = SeededGenerator(seed: 99)
        for (destination, source) in [(swift, c), (c, swift), (c, c), (swift, MemoryDomain.system)] {
            let total = Int.random(in: 1...50_000, using: &generator)
            let from = ScatterBuffer(lengths: Layout.random(total: total, maxSegments: 6, using: &generator))
            let to = ScatterBuffer(lengths: Layout.random(total: total, maxSegments: 6, using: &generator))
            from.fillRandom(using: &generator)
            try await destination.transfer(into: to.iov(), from: source, from.iov())
            #expect(sameBytes(to, from), "transfer \(source) -> \(destination)")
        }
    }

    @Test("bad requests are refused synchronously with the errno of dmahost/iovec.h, or -ENOTSUP", arguments: devices)
    func errors(_ deviceID: String) async throws {
        let (host, domains) = try openHost(deviceID)
        defer { host.shutdown() }
        let domain = try #require(domains.first)
        let long = ScatterBuffer(length: 100), short = ScatterBuffer(lengths: [10, 20])
        await #expect(throws: DMAError.self) { try await domain.pull(from: long.iov(), into: short.iov()) }
        await #expect(throws: DMAError.self) { try await domain.push(into: short.iov(), from: long.iov()) }
        await #expect(throws: DMAError.self) { try await domain.push(into: long.iov(count: 0), from: long.iov()) }

        let log = CompletionLog()
        let null = UnsafeMutableBufferPointer<iovec>.allocate(capacity: 1)
        defer { null.deallocate() }
        null[0] = iovec(iov_base: nil, iov_len: 8)
        #expect(spdk_memory_domain_push_data_export(domain.handle, nil, long.iovecs.baseAddress, 1, long.iovecs.baseAddress, 1,
                                                    nil, nil) == -EINVAL, "NULL completion callback")
        let argument = log.argument(tag: 0)
        #expect(spdk_memory_domain_memzero_export(domain.handle, nil, null.baseAddress, 1, CompletionLog.callback, argument) == -EFAULT,
                "NULL base with a length")
        Unmanaged<CompletionLog.Token>.fromOpaque(argument).release()

        // A domain whose memory the engine cannot reach (no translation into system memory).
        let foreign = try MemoryDomain.create(type: DMADeviceType(rawValue: 1999), id: "test-foreign")
        defer { foreign.destroy() }
        do {
            try await domain.transfer(into: long.iov(), from: foreign, long.iov())
            Issue.record("transfer from an untranslatable domain must fail")
        } catch {
            #expect(error.errno == ENOTSUP, "\(error)")
        }
        #expect(log.snapshot.isEmpty, "no completion may run for a refused request")
    }

    @Test("a full queue gives -EAGAIN; each accepted request completes exactly once, on the worker", arguments: devices)
    func boundedQueue(_ deviceID: String) throws {
        let (host, domains) = try openHost(deviceID)
        let domain = try #require(domains.first)
        let log = CompletionLog(holdFirst: true)
        log.submitter.withLock { $0 = pthread_self() }
        let source = ScatterBuffer(length: 64), destination = ScatterBuffer(length: 64)

        func submit(_ tag: Int) -> Int32 {
            let argument = log.argument(tag: tag)
            let rc = spdk_memory_domain_push_data_export(domain.handle, nil, destination.iovecs.baseAddress, 1,
                                                         source.iovecs.baseAddress, 1, CompletionLog.callback, argument)
            if rc != 0 { Unmanaged<CompletionLog.Token>.fromOpaque(argument).release() }
            return rc
        }

        #expect(submit(0) == 0)
        try #require(log.waitUntilHeld(), "the first completion never ran")
        // The worker is blocked in the first completion: the queue fills up.
        var accepted = 0
        var rc: Int32 = 0
        while accepted < 1000 {
            rc = submit(accepted + 1)
            if rc != 0 { break }
            accepted += 1
        }
        #expect(rc == -EAGAIN)
        #expect(accepted == 64, "queue depth is 64")
        log.release()
        let entries = log.wait(for: accepted + 1)
        #expect(entries.count == accepted + 1)
        #expect(entries.allSatisfy { $0.rc == 0 })
        #expect(Set(entries.map(\.tag)) == Set(0...accepted), "every request completed exactly once")
        #expect(entries.map(\.tag) == Array(0...accepted), "FIFO order")
        #expect(entries.allSatisfy { !$0.onSubmitterThread }, "completions run on the engine's worker")
        #expect(submit(9999) == 0, "the queue accepts again once drained")
        _ = log.wait(for: accepted + 2)
        host.closeAll()
        #expect(log.snapshot.count == accepted + 2, "no completion runs twice")
    }

    @Test("closing a device lets queued requests finish first", arguments: devices)
    func closeDrains(_ deviceID: String) throws {
        let (host, domains) = try openHost(deviceID)
        let domain = try #require(domains.first)
        let log = CompletionLog()
        let source = ScatterBuffer(length: 1 << 20), destinations = (0..<32).map { _ in ScatterBuffer(length: 1 << 20) }
        var generator = SeededGenerator(seed: 3)
        source.fillRandom(using: &generator)
        for (tag, destination) in destinations.enumerated() {
            let argument = log.argument(tag: tag)
            let rc = spdk_memory_domain_push_data_export(domain.handle, nil, destination.iovecs.baseAddress, 1,
                                                         source.iovecs.baseAddress, 1, CompletionLog.callback, argument)
            #expect(rc == 0)
            if rc != 0 { Unmanaged<CompletionLog.Token>.fromOpaque(argument).release() }
        }
        try host.close(deviceID: deviceID)
        #expect(log.snapshot.count == destinations.count, "close returned before the queued requests completed")
        #expect(destinations.allSatisfy { sameBytes($0, source) } == true)
    }
}
