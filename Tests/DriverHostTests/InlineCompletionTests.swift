import CDMAHostABI
@_spi(CABI) import DMAHost
import DriverHost
import Foundation
import Testing

/// A plugin may call the completion inline, from inside the submitting call, before it returns
/// 0 (`dmahost/driver.h`, "Completions"): the configurable plugin built with `-DCOPY_CALLBACKS`
/// copies and completes before its pull and push return.
@Suite("Completions called inside the submitting call")
struct InlineCompletionTests {
    /// fixture:0 of a plugin whose pull and push complete before they return, opened.
    func openInlineDevice() throws -> (DriverHost, MemoryDomain) {
        let (host, _) = try HostilePlugin(["-DCOPY_CALLBACKS"], label: "dmahost-inline").host()
        let domain = try #require(try host.open(deviceID: "fixture:0").first)
        return (host, domain)
    }

    @Test("a C caller's completion runs on the submitting thread, before spdk_memory_domain_push_data returns 0")
    func cCallerRunsInline() throws {
        let (host, domain) = try openInlineDevice()
        let log = CompletionLog()
        log.submitter.withLock { $0 = pthread_self() }
        let source = ScatterBuffer(length: 4096), destination = ScatterBuffer(length: 4096)
        source.fill(0x5a)
        destination.fill(0)
        let argument = log.argument(tag: 1)
        let rc = spdk_memory_domain_push_data_export(domain.handle, nil, destination.iovecs.baseAddress, 1,
                                                     source.iovecs.baseAddress, 1, CompletionLog.callback, argument)
        #expect(rc == 0)
        if rc != 0 { Unmanaged<CompletionLog.Token>.fromOpaque(argument).release() }
        let entries = log.snapshot
        #expect(entries.count == 1, "the completion ran before the call returned")
        #expect(entries.first?.rc == 0)
        #expect(entries.first?.onSubmitterThread == true)
        #expect(destination.bytes == source.bytes)
        #expect(host.completionFaults(of: "fixture:0").total == 0)
    }

    @Test("the Swift API takes an inline completion as the operation's result: data moved, no fault counted")
    func swiftAPIAcceptsInline() async throws {
        let (host, domain) = try openInlineDevice()
        let source = ScatterBuffer(lengths: [1000, 3096]), destination = ScatterBuffer(length: 4096), back = ScatterBuffer(length: 4096)
        source.fill(0xa5)
        try await domain.push(into: destination.iov(), from: source.iov())
        try await domain.pull(from: destination.iov(), into: back.iov())
        #expect(back.bytes == source.bytes)
        #expect(host.completionFaults(of: "fixture:0").total == 0)
    }

    @Test("dmactl copy through a device that completes inline verifies and exits 0")
    func dmactlCopy() throws {
        let plugin = try HostilePlugin(["-DCOPY_CALLBACKS"], label: "dmahost-inline")
        let result = try plugin.dmactl(["copy", "--from", "system", "--to", "fixture:0", "--size", "64K", "--segments", "4"])
        #expect(result.status == 0, "\(result.output)")
    }
}
