import DMAHost
import DriverHost
import Foundation
import Testing

/// Completions a careless plugin gets wrong (twice, after an error return, never, late) and
/// translations that point nowhere: each is contained and counted against the device, through
/// the Swift API, `dmactl copy` and `dmactl bench`.
@Suite("Hostile plugins: completions and translations")
struct HostileCompletionTests {
    /// Opens fixture:0 of a plugin built with `flags`.
    func openFixture(_ flags: [String]) throws -> (DriverHost, MemoryDomain) {
        let (host, _) = try HostilePlugin(flags).host()
        let domain = try #require(try host.open(deviceID: "fixture:0").first)
        return (host, domain)
    }

    @Test("completion called twice: the caller resumes once; the second call is counted for the device")
    func twice() async throws {
        let (host, domain) = try openFixture(["-DCOMPLETE_TWICE"])
        #expect(await pushOutcome(domain) == nil)
        #expect(await pushOutcome(domain) == nil)
        #expect(host.completionFaults(of: "fixture:0")[.repeated] == 2)
        #expect(host.completionFaults(of: "fixture:0").total == 2)
    }

    @Test("completion called, then an error returned: the error is thrown once; the completion is counted")
    func completedThenError() async throws {
        let (host, domain) = try openFixture(["-DCOMPLETE_THEN_FAIL"])
        #expect(await pushOutcome(domain)?.errno == EIO)
        #expect(host.completionFaults(of: "fixture:0")[.afterRefusal] == 1)
    }

    @Test("completion called after the call returned an error: counted, delivered nowhere")
    func completionAfterError() async throws {
        let (host, domain) = try openFixture(["-DCOMPLETE_AFTER_FAIL"])
        #expect(await pushOutcome(domain)?.errno == EBUSY)
        #expect(await eventually { host.completionFaults(of: "fixture:0")[.afterRefusal] == 1 })
    }

    @Test("completion never called: the Swift API's timeout throws ETIMEDOUT naming the operation and size")
    func never() async throws {
        let (host, domain) = try openFixture(["-DNEVER_COMPLETE"])
        let error = try #require(await pushOutcome(domain, timeout: .milliseconds(100)))
        #expect(host.isOpen("fixture:0"))
        #expect(error.errno == ETIMEDOUT)
        #expect(error.message.contains("push into"))
        #expect(error.message.contains("fixture:0"))
        #expect(error.message.contains("4096 bytes"))
    }

    @Test("a completion after the timeout is absorbed and counted as late")
    func late() async throws {
        let (host, domain) = try openFixture(["-DCOMPLETE_LATE_MS=300"])
        #expect(await pushOutcome(domain, timeout: .milliseconds(50))?.errno == ETIMEDOUT)
        #expect(await eventually { host.completionFaults(of: "fixture:0")[.late] == 1 })
        #expect(host.completionFaults(of: "fixture:0")[.repeated] == 0)
    }

    @Test("dmactl copy through a device whose completion comes twice verifies the data, reports the faults and exits 1")
    func copyTwice() throws {
        let plugin = try HostilePlugin(["-DCOMPLETE_TWICE"])
        let result = try plugin.dmactl(["copy", "--from", "system", "--to", "fixture:0", "--size", "4K", "--format", "json"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stdout.contains("\"verified\" : true"))
        #expect(result.stdout.contains("\"repeated\" : 2"))
        #expect(result.output.contains("fixture:0 broke the completion contract (2 repeated)"))
    }

    @Test("dmactl copy through a device that never completes times out: status 6, naming device, operation and size")
    func copyNever() throws {
        let plugin = try HostilePlugin(["-DNEVER_COMPLETE"])
        let result = try plugin.dmactl(["copy", "--from", "system", "--to", "fixture:0", "--size", "4K", "--timeout", "0.2"])
        #expect(result.status == 6, "\(result.output)")
        #expect(result.output.contains("push into fixture:0"))
        #expect(result.output.contains("4096 bytes"))
        #expect(result.output.contains("did not complete within"))
    }

    @Test("dmactl copy --help states --timeout and its default")
    func copyHelp() throws {
        let result = try Fixtures.run(DMACtlTests.dmactl, ["copy", "--help"])
        let text = result.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("--timeout <seconds>"))
        #expect(text.contains("(default: 30.0)"))
    }

    @Test("dmactl bench: a completion called twice fails the run (exit 1) in both resubmission modes", arguments: ["callback", "thread"])
    func benchTwice(mode: String) throws {
        let plugin = try HostilePlugin(["-DCOMPLETE_TWICE"])
        let result = try plugin.dmactl(["bench", "--device", "fixture:0", "--size", "4K", "--qd", "4", "--seconds", "0.1",
                                        "--resubmit", mode, "--format", "json"])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stdout.contains("\"completion_faults\""))
        #expect(result.output.contains("fixture:0 broke the completion contract"))
    }

    @Test("dmactl bench: operations that never complete time out (exit 6) in both resubmission modes", arguments: ["callback", "thread"])
    func benchNever(mode: String) throws {
        let plugin = try HostilePlugin(["-DNEVER_COMPLETE"])
        let result = try plugin.dmactl(["bench", "--device", "fixture:0", "--size", "4K", "--qd", "4", "--seconds", "0.1",
                                        "--resubmit", mode, "--timeout", "0.3"])
        #expect(result.status == 6, "\(result.output)")
        #expect(result.output.contains("4 of 4 operations in flight did not complete within 0.3 s"))
        #expect(result.output.contains("push of 4096 bytes"))
    }

    @Test("dmactl bench: a completion after an error return is counted and fails the run", arguments: ["callback", "thread"])
    func benchCompletedThenError(mode: String) throws {
        let plugin = try HostilePlugin(["-DCOMPLETE_THEN_FAIL"])
        let result = try plugin.dmactl(["bench", "--device", "fixture:0", "--size", "4K", "--qd", "2", "--seconds", "0.1",
                                        "--resubmit", mode])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("then the submitting call returned -5"))
    }

    @Test("a translation at address 0x10 or with a NULL entry array fails copy (exit 1) instead of crashing it",
          arguments: [("-DBAD_TRANSLATION", "starts at 0x10, inside the first page"), ("-DTRANSLATION_IOVS_NULL", "iovs is NULL")])
    func badTranslation(flag: String, reason: String) throws {
        let plugin = try HostilePlugin([flag])
        for arguments in [["--from", "system", "--to", "fixture:0"], ["--from", "fixture:0", "--to", "system"]] {
            let result = try plugin.dmactl(["copy"] + arguments + ["--size", "4K"])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("fixture:0's translate"))
            #expect(result.output.contains(reason))
        }
    }
}
