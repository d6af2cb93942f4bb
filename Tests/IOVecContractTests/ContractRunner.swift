import CDMAHostABI
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Counts the calls of one operation's completion; the C argument is the retained object.
final class CompletionProbe: Sendable {
    let calls = Atomic<Int>(0)
    let status = Atomic<Int32>(0)

    static let callback: spdk_memory_domain_data_cpl_cb = { argument, rc in
        guard let argument else { return }
        let probe = Unmanaged<CompletionProbe>.fromOpaque(argument).takeUnretainedValue()
        probe.status.store(rc, ordering: .relaxed)
        probe.calls.add(1, ordering: .releasing)
    }

    var argument: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Waits up to 60 s for the first call.
    func waitForCall() -> Bool {
        for _ in 0..<60_000 {
            if calls.load(ordering: .acquiring) > 0 { return true }
            usleep(1000)
        }
        return calls.load(ordering: .acquiring) > 0
    }
}

/// The data operations, with the region each list points into: the domain side (`D`) or local
/// memory (`L`, the system domain's).
enum Operation: String, CaseIterable, CustomStringConvertible {
    /// The domain's `src_iov` (D) into the local `dst_iov` (L).
    case pull
    /// The local `src_iov` (L) into the domain's `dst_iov` (D).
    case push
    /// From the system domain's `src_iov` (L) into the domain's `dst_iov` (D).
    case transfer

    var description: String { rawValue }
}

/// Runs the case tables against one domain through the C ABI (`spdk_memory_domain_*`) and
/// records an issue for every answer that is not the documented one.
///
/// Before each bad case both regions are filled with sentinels; afterwards the rc must be the
/// documented errno, the completion must not have been called, and no byte may have changed.
/// The valid case must move exactly its bytes (the system domain: -ENOTSUP, nothing moved).
/// Probes and iovec arrays live until the end of the run, after the valid operation completed,
/// so that a completion that comes late is still counted (and lands in live memory).
final class ContractRunner {
    static let domainSentinel: UInt8 = 0x5A
    static let localSentinel: UInt8 = 0xA5

    let domain: DomainUnderTest
    private let domainRegion: Region
    private let localRegion: Region
    private var probes: [(String, CompletionProbe)] = []
    private var arrays: [UnsafeMutableBufferPointer<iovec>] = []

    init(_ domain: DomainUnderTest) throws {
        self.domain = domain
        domainRegion = try domain.allocateRegion()
        localRegion = try Region.host()
    }

    deinit {
        domain.forget(domainRegion)
        domain.forget(localRegion)
        for array in arrays { array.deallocate() }
    }

    /// Every table: pull, push, transfer and memzero, then translate.
    func runAll() {
        for operation in Operation.allCases {
            for copyCase in CopyCase.all { run(operation, copyCase) }
            runValid(operation)
        }
        for fillCase in FillCase.all { run(fillCase) }
        runValidMemzero()
        for translateCase in TranslateCase.all { run(translateCase) }
        runValidTranslate()
        // Anything refused must never complete, not even late (the valid operations, queued
        // after the refused ones, have completed by now).
        for (label, probe) in probes where probe.calls.load(ordering: .acquiring) != 0 {
            Issue.record("\(domain): \(label): the completion was called \(probe.calls.load(ordering: .acquiring)) times for a refused operation")
        }
    }

    // MARK: Lists

    private func list(_ spec: ListSpec, in region: Region) -> (UnsafeMutablePointer<iovec>?, UInt32) {
        switch spec {
        case .nullArray(let count):
            return (nil, count)
        case .entries(let entries):
            let array = UnsafeMutableBufferPointer<iovec>.allocate(capacity: max(entries.count, 1))
            for (index, entry) in entries.enumerated() { array[index] = entry.iovec(in: region.base) }
            arrays.append(array)
            return (array.baseAddress, UInt32(entries.count))
        }
    }

    private func regions(for operation: Operation) -> (source: Region, destination: Region) {
        switch operation {
        case .pull: (domainRegion, localRegion)
        case .push, .transfer: (localRegion, domainRegion)
        }
    }

    private func start(_ operation: Operation, source: (UnsafeMutablePointer<iovec>?, UInt32),
                       destination: (UnsafeMutablePointer<iovec>?, UInt32), probe: CompletionProbe?) -> Int32 {
        let callback = probe == nil ? nil : CompletionProbe.callback
        let argument = probe?.argument
        switch operation {
        case .pull:
            return spdk_memory_domain_pull_data(cDomain(domain.handle), nil, source.0, source.1, destination.0, destination.1, callback, argument)
        case .push:
            return spdk_memory_domain_push_data(cDomain(domain.handle), nil, destination.0, destination.1, source.0, source.1, callback, argument)
        case .transfer:
            return spdk_memory_domain_transfer_data(cDomain(domain.handle), nil, destination.0, destination.1, cDomain(systemHandle),
                                                    nil, source.0, source.1, nil, callback, argument)
        }
    }

    private func fillSentinels() {
        domainRegion.fill(Self.domainSentinel)
        localRegion.fill(Self.localSentinel)
    }

    private func expectUntouched(_ label: String) {
        #expect(domainRegion.isFilled(with: Self.domainSentinel), "\(domain): \(label): a domain-side byte changed")
        #expect(localRegion.isFilled(with: Self.localSentinel), "\(domain): \(label): a local byte changed")
    }

    // MARK: pull, push, transfer

    private func run(_ operation: Operation, _ copyCase: CopyCase) {
        let label = "\(operation), \(copyCase)"
        let (sourceRegion, destinationRegion) = regions(for: operation)
        fillSentinels()
        let probe = copyCase.hasCompletion ? CompletionProbe() : nil
        if let probe { probes.append((label, probe)) }
        let rc = start(operation, source: list(copyCase.source, in: sourceRegion), destination: list(copyCase.destination, in: destinationRegion),
                       probe: probe)
        #expect(rc == copyCase.expected, "\(domain): \(label): rc \(rc), expected \(copyCase.expected)")
        #expect(probe?.calls.load(ordering: .acquiring) ?? 0 == 0, "\(domain): \(label): completion called for a refused operation")
        expectUntouched(label)
    }

    private func runValid(_ operation: Operation) {
        let label = "\(operation), \(CopyCase.valid)"
        let (sourceRegion, destinationRegion) = regions(for: operation)
        fillSentinels()
        sourceRegion.fillPattern(seed: 7)
        let sentinel = destinationRegion === domainRegion ? Self.domainSentinel : Self.localSentinel
        let sourceBefore = sourceRegion.slice(0..<sourceRegion.count)
        let probe = CompletionProbe()
        let rc = start(operation, source: list(CopyCase.valid.source, in: sourceRegion),
                       destination: list(CopyCase.valid.destination, in: destinationRegion), probe: probe)
        if domain.isSystem {
            #expect(rc == -ENOTSUP, "\(domain): \(label): rc \(rc)")
            probes.append((label, probe))
            #expect(destinationRegion.isFilled(with: sentinel), "\(domain): \(label): a destination byte changed")
            return
        }
        #expect(rc == 0, "\(domain): \(label): rc \(rc)")
        guard rc == 0 else { return }
        #expect(probe.waitForCall(), "\(domain): \(label): no completion within 60 s")
        #expect(probe.calls.load(ordering: .acquiring) == 1 && probe.status.load(ordering: .relaxed) == 0,
                "\(domain): \(label): completed \(probe.calls.load(ordering: .acquiring)) times, rc \(probe.status.load(ordering: .relaxed))")
        #expect(destinationRegion.slice(0..<64) == sourceBefore[0..<64].map { $0 }, "\(domain): \(label): the bytes differ")
        #expect(destinationRegion.slice(64..<destinationRegion.count).allSatisfy { $0 == sentinel },
                "\(domain): \(label): a byte past the 64 described was written")
        #expect(sourceRegion.slice(0..<sourceRegion.count) == sourceBefore, "\(domain): \(label): the source changed")
    }

    // MARK: memzero

    private func run(_ fillCase: FillCase) {
        let label = "memzero, \(fillCase)"
        fillSentinels()
        let probe = fillCase.hasCompletion ? CompletionProbe() : nil
        if let probe { probes.append((label, probe)) }
        let (array, count) = list(fillCase.list, in: domainRegion)
        let rc = spdk_memory_domain_memzero(cDomain(domain.handle), nil, array, count, probe == nil ? nil : CompletionProbe.callback, probe?.argument)
        #expect(rc == fillCase.expected, "\(domain): \(label): rc \(rc), expected \(fillCase.expected)")
        #expect(probe?.calls.load(ordering: .acquiring) ?? 0 == 0, "\(domain): \(label): completion called for a refused operation")
        expectUntouched(label)
    }

    private func runValidMemzero() {
        let label = "memzero, \(FillCase.valid)"
        fillSentinels()
        let probe = CompletionProbe()
        let (array, count) = list(FillCase.valid.list, in: domainRegion)
        let rc = spdk_memory_domain_memzero(cDomain(domain.handle), nil, array, count, CompletionProbe.callback, probe.argument)
        if domain.isSystem || !domain.supportsMemzero {
            #expect(rc == -ENOTSUP, "\(domain): \(label): rc \(rc)")
            probes.append((label, probe))
            expectUntouched(label)
            return
        }
        #expect(rc == 0, "\(domain): \(label): rc \(rc)")
        guard rc == 0 else { return }
        #expect(probe.waitForCall(), "\(domain): \(label): no completion within 60 s")
        #expect(probe.calls.load(ordering: .acquiring) == 1 && probe.status.load(ordering: .relaxed) == 0)
        #expect(domainRegion.slice(0..<64).allSatisfy { $0 == 0 }, "\(domain): \(label): a described byte is not 0")
        #expect(domainRegion.slice(64..<domainRegion.count).allSatisfy { $0 == Self.domainSentinel }, "\(domain): \(label): a byte past the 64 changed")
    }

    // MARK: translate

    private func translate(_ translateCase: TranslateCase) -> (Int32, spdk_memory_domain_translation_result) {
        let address: UnsafeMutableRawPointer? = switch translateCase.address {
        case .region: domainRegion.base
        case .raw(let bits): UnsafeMutableRawPointer(bitPattern: bits)
        }
        var result = spdk_memory_domain_translation_result()
        result.size = translateCase.resultSize ?? 0
        let length = Int(bitPattern: translateCase.length)
        let rc = translateCase.resultSize == nil
            ? spdk_memory_domain_translate_data(cDomain(domain.handle), nil, cDomain(systemHandle), nil, address, length, nil)
            : spdk_memory_domain_translate_data(cDomain(domain.handle), nil, cDomain(systemHandle), nil, address, length, &result)
        return (rc, result)
    }

    private func run(_ translateCase: TranslateCase) {
        let (rc, _) = translate(translateCase)
        #expect(rc == translateCase.expected, "\(domain): translate, \(translateCase): rc \(rc), expected \(translateCase.expected)")
    }

    private func runValidTranslate() {
        let (rc, result) = translate(TranslateCase.valid)
        if domain.isSystem {
            #expect(rc == -ENOTSUP, "\(domain): translate, \(TranslateCase.valid): rc \(rc)")
            return
        }
        #expect(rc == 0, "\(domain): translate, \(TranslateCase.valid): rc \(rc)")
        #expect(result.iov_count == 1 && result.iov.iov_base == domainRegion.base && result.iov.iov_len == 64,
                "\(domain): translate into the system domain is the identity")
    }
}
