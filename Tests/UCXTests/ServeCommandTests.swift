import Foundation
import Testing

@Suite("UCX: dmactl serve and a dmactl client as child processes", .enabled(if: UCXTestSupport.available, "needs libucp.so.0 (UCX) and the built plugin"))
struct UCXServeCommandTests {
    @Test("serve prints its line, a client copies both ways byte-exact, SIGUSR1 lists the client, SIGTERM exits 0")
    func serveAndCopy() throws {
        let server = try ServerProcess(["--listen", "127.0.0.1:0", "--size", "16M"])
        #expect(server.firstLine.hasSuffix(" 16777216 bytes read-write"), "\(server.firstLine)")
        let device = "ucx:" + server.address
        for (from, to) in [("system", device), (device, "system")] {
            let copy = try run(UCXTestSupport.dmactlPath, ["--ucx-peer", server.address, "copy", "--from", from, "--to", to,
                                                            "--size", "1.5M", "--segments", "3"])
            #expect(copy.status == 0, "\(copy.output)")
            #expect(copy.output.contains("verified: all 1572864 bytes match"), "\(copy.output)")
        }
        server.send(SIGUSR1)
        server.send(SIGTERM)
        let rest = server.remainingOutput()
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0)
        #expect(rest.contains("clients of \(device): 2"), "\(rest)")
        #expect(rest.contains("disconnected"), "\(rest)")
    }

    @Test("UCX's own warnings go to standard error: dmactl's JSON on standard output still parses")
    func warningsStayOffStandardOutput() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["UCX_TLS"] = "no-such-transport" // UCX warns that it is not available
        environment["DMAHOST_UCX_PEERS"] = "127.0.0.1:9"
        environment.removeValue(forKey: "UCX_LOG_FILE")
        let doctor = try run(UCXTestSupport.dmactlPath, ["doctor", "--format", "json"], environment: environment, standardErrorToo: false)
        let json = try JSONSerialization.jsonObject(with: Data(doctor.output.utf8))
        #expect(json is [String: Any], "\(doctor.output.prefix(300))")
        #expect(!doctor.output.contains("UCX  WARN"), "\(doctor.output.prefix(300))")
    }

    @Test("serve --read-only says so, and a client's push is refused (EACCES)")
    func readOnly() throws {
        let server = try ServerProcess(["--listen", "127.0.0.1:0", "--size", "1M", "--read-only"])
        #expect(server.firstLine.hasSuffix(" 1048576 bytes read-only"), "\(server.firstLine)")
        let copy = try run(UCXTestSupport.dmactlPath, ["--ucx-peer", server.address, "copy", "--from", "system", "--to",
                                                        "ucx:" + server.address, "--size", "4K"])
        #expect(copy.status != 0)
        #expect(copy.output.contains("Permission denied"), "\(copy.output)")
    }

    @Test("serve --dmabuf dmabuf:udmabuf exposes a udmabuf buffer, where /dev/udmabuf exists",
          .enabled(if: FileManager.default.fileExists(atPath: "/dev/udmabuf"), "/dev/udmabuf is absent (modprobe udmabuf)"))
    func dmabuf() throws {
        let server = try ServerProcess(["--listen", "127.0.0.1:0", "--size", "2M", "--dmabuf", "dmabuf:udmabuf"])
        let copy = try run(UCXTestSupport.dmactlPath, ["--ucx-peer", server.address, "copy", "--from", "system", "--to",
                                                        "ucx:" + server.address, "--size", "1M"])
        #expect(copy.status == 0, "\(copy.output)")
    }
}
