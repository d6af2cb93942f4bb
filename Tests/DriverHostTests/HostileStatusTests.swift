import DMAHost
@testable import DriverHost
import Foundation
import Testing

/// Statuses no errno can be: INT32_MIN and positive values from probe, open, diagnose and a
/// completion. Each is contained: a documented negative errno (-EIO) and a log line with the
/// value, never a trap.
@Suite("Hostile plugins: statuses")
struct HostileStatusTests {
    static let malformed: [String] = ["INT32_MIN", "5", "-4096", "INT32_MAX"]

    @Test("probe returning a malformed status rejects the plugin as probeFailed, quoting the value", arguments: malformed)
    func probe(value: String) throws {
        let plugin = try HostilePlugin(["-DPROBE_RC=\(value)"])
        let (host, outcomes) = plugin.host()
        let rejection = try #require(outcomes.rejections.first)
        #expect(rejection.kind == .probeFailed)
        #expect(rejection.reason.contains("returned status"))
        #expect(rejection.reason.contains("treated as -EIO"))
        #expect(host.drivers.isEmpty)
    }

    @Test("dmactl list and doctor survive a probe returning INT32_MIN")
    func probeThroughDMACtl() throws {
        let plugin = try HostilePlugin(["-DPROBE_RC=INT32_MIN"])
        let list = try plugin.dmactl(["list"])
        #expect(list.status == 4, "\(list.output)")
        let doctor = try plugin.dmactl(["doctor"])
        #expect(doctor.status == 4, "\(doctor.output)")
        #expect(doctor.output.contains("probeFailed"))
        #expect(doctor.output.contains("status -2147483648"))
    }

    @Test("open returning a malformed status fails with EIO naming the value; nothing stays open", arguments: malformed)
    func open(value: String) throws {
        let plugin = try HostilePlugin(["-DOPEN_RC=\(value)"])
        let (host, _) = plugin.host()
        #expect(throws: DMAError.self) { try host.open(deviceID: "fixture:0") }
        do throws(DMAError) {
            try host.open(deviceID: "fixture:0")
        } catch {
            #expect(error.errno == EIO)
            #expect(error.message.contains("returned status"))
        }
        #expect(!host.isOpen("fixture:0"))
    }

    @Test("diagnose returning INT32_MIN adds a failed check quoting the value")
    func diagnose() throws {
        let plugin = try HostilePlugin(["-DDIAGNOSE_RC=INT32_MIN"])
        let (host, _) = plugin.host()
        let lines = try #require(host.diagnostics().first).lines
        #expect(lines.first?.ok == true)
        let failed = try #require(lines.last)
        #expect(!failed.ok)
        #expect(failed.detail.contains("status -2147483648"))
    }

    @Test("a completion reporting INT32_MIN is an EIO error and a counted fault of the device", arguments: ["INT32_MIN", "7"])
    func completion(value: String) async throws {
        let plugin = try HostilePlugin(["-DCOMPLETION_RC=\(value)"])
        let (host, _) = plugin.host()
        let domain = try #require(try host.open(deviceID: "fixture:0").first)
        let error = try #require(await pushOutcome(domain))
        #expect(error.errno == EIO)
        #expect(CompletionFaults.counts(domain: domain)[.malformedStatus] == 1)
        #expect(host.completionFaults(of: "fixture:0")[.malformedStatus] == 1)
    }
}
