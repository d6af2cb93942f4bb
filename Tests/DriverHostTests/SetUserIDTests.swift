@testable import DriverHost
import Foundation
import Testing

/// What the set-user-ID tests need, and why they cannot run when they cannot.
enum SetUserIDSupport {
    /// The unprivileged user the programs run as (Debian's nobody).
    static let user: uid_t = 65534
    /// setpriv(1) of util-linux, which runs a program with other real and effective ids.
    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// nil when the tests can run, else why not.
    static let unavailableReason: String? = {
        guard getuid() == 0 else {
            return "needs root to install a set-user-ID root program (CI runs as root)"
        }
        guard setpriv != nil else { return "needs setpriv (util-linux) to run a program as uid \(user)" }
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           status.contains("NoNewPrivs:\t1") {
            return "this process runs with no_new_privs, under which set-user-ID bits have no effect"
        }
        var info = statvfs()
        if statvfs(NSTemporaryDirectory(), &info) == 0, info.f_flag & UInt(ST_NOSUID) != 0 {
            return "the temporary directory \(NSTemporaryDirectory()) is on a nosuid file system"
        }
        return nil
    }()
}

/// A set-user-ID root program run by an unprivileged user who chose its environment and
/// arguments: the planted plugin is never mapped, and the program says why.
@Suite("Set-user-ID root program run by an unprivileged user",
       .enabled(if: SetUserIDSupport.unavailableReason == nil, Comment(rawValue: SetUserIDSupport.unavailableReason ?? "")))
struct SetUserIDTests {
    /// A plugin the unprivileged user planted: its directory and file are theirs, it is named
    /// "planted", and mapping it creates `marker`.
    struct Planted {
        let directory: String
        let marker: String
    }

    func plant() throws -> Planted {
        let directory = try Fixtures.temporaryDirectory("dmahost-planted")
        let marker = directory + "/mapped"
        let plugin = try Fixtures.buildPlugin("planted", in: directory,
                                              flags: ["-DPLUGIN_NAME=\"planted\"", "-DLOAD_MARKER=\"\(marker)\""])
        try Fixtures.setOwner(directory, user: SetUserIDSupport.user, group: SetUserIDSupport.user)
        try Fixtures.setOwner(plugin, user: SetUserIDSupport.user, group: SetUserIDSupport.user)
        return Planted(directory: directory, marker: marker)
    }

    /// A directory owned by root, mode 0755, for the set-user-ID program (any user may run it).
    func rootDirectory() throws -> String {
        let directory = try Fixtures.temporaryDirectory("dmahost-setuid")
        try Fixtures.setMode(directory, 0o755)
        return directory
    }

    /// Makes `path` a set-user-ID root program.
    func makeSetUserIDRoot(_ path: String) throws {
        try Fixtures.setOwner(path, user: 0, group: 0)
        try Fixtures.setMode(path, 0o4755)
    }

    /// Runs `program` as the unprivileged user, with `DMAHOST_DRIVER_PATH` naming the planted
    /// plugin and the development override set.
    func runAsUnprivilegedUser(_ program: String, _ arguments: [String], planted: Planted) throws -> (status: Int32, output: String) {
        let setpriv = try #require(SetUserIDSupport.setpriv)
        var environment = ProcessInfo.processInfo.environment
        environment["DMAHOST_DRIVER_PATH"] = planted.directory
        environment["DMAHOST_ALLOW_INSECURE_PLUGINS"] = "1"
        let user = SetUserIDSupport.user
        let result = try Fixtures.run(setpriv, ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", program] + arguments,
                                      environment: environment)
        print("$ \(program) \(arguments.joined(separator: " "))\n\(result.output)")
        return (result.status, result.output)
    }

    @Test("A C program on the host API: DMAHOST_DRIVER_PATH is ignored and dmahost_load_path is refused (-EPERM), each with its reason")
    func cProgram() throws {
        let planted = try plant()
        let directory = try rootDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: planted.directory)
        }
        let program = directory + "/load_report"
        let build = Fixtures.buildDirectory
        let (compiler, sanitizerFlags) = Sanitizer.current.programCompiler
        // An absolute rpath: a set-user-ID program ignores LD_LIBRARY_PATH and $ORIGIN.
        let compiled = try Fixtures.run(compiler, sanitizerFlags + [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", Fixtures.includeDirectory,
            Fixtures.repositoryRoot + "/Tests/Fixtures/CHostProgram/load_report.c",
            "-L", build, "-lDMAHost", "-Wl,-rpath," + build, "-o", program,
        ])
        try #require(compiled.status == 0, "\(compiled.output)")
        try makeSetUserIDRoot(program)

        let run = try runAsUnprivilegedUser(program, [planted.directory], planted: planted)
        try #require(run.output.contains("ids uid=65534 euid=0"), "the program did not run set-user-ID root")
        #expect(run.status == 0)
        #expect(!run.output.contains("driver planted"))
        #expect(!FileManager.default.fileExists(atPath: planted.marker), "the planted plugin was mapped")
        #expect(run.output.contains("rejected \(planted.directory) environment refused: DMAHOST_DRIVER_PATH is ignored: this process runs "
                                    + "with privileges its user does not have (it runs set-user-ID (real uid 65534, effective uid 0))"))
        #expect(run.output.contains("load_path \(planted.directory) -1\n"), "-EPERM")
        #expect(run.output.contains("rejected \(planted.directory) explicit refused: plugin paths chosen by the caller are refused"))
        // The installed directory (that of libDMAHost.so) still loads when root owns it.
        if (try? FileManager.default.attributesOfItem(atPath: build)[.ownerAccountID] as? Int) == 0 {
            #expect(run.output.contains("driver vendor-c \(build)/libdmahost-vendor-c.so installed"))
        }
    }

    @Test("dmactl: only its own directory loads; the environment is ignored and --driver-dir is refused, each with its reason")
    func dmactl() throws {
        let planted = try plant()
        let directory = try rootDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: planted.directory)
        }
        // dmactl links the host statically and finds the Swift runtime through an absolute rpath.
        let program = directory + "/dmactl"
        try FileManager.default.copyItem(atPath: Fixtures.buildDirectory + "/dmactl", toPath: program)
        try makeSetUserIDRoot(program)
        try FileManager.default.copyItem(atPath: Fixtures.buildDirectory + "/libdmahost-vendor-c.so",
                                        toPath: directory + "/libdmahost-vendor-c.so")

        let list = try runAsUnprivilegedUser(program, ["list", "--no-open"], planted: planted)
        #expect(list.status == 0)
        #expect(list.output.contains("Drivers (1 loaded, 1 rejected"))
        #expect(list.output.contains("\(directory)/libdmahost-vendor-c.so (installed)"))
        #expect(!list.output.contains("planted  "))

        let doctor = try runAsUnprivilegedUser(program, ["doctor"], planted: planted)
        try #require(doctor.output.contains("(ignored: it runs set-user-ID (real uid 65534, effective uid 0))"),
                     "the program did not run set-user-ID root")
        #expect(doctor.output.contains("2. DMAHOST_DRIVER_PATH: \(planted.directory) (ignored"))
        #expect(doctor.output.contains("[rejected] \(planted.directory) (environment): refused: DMAHOST_DRIVER_PATH is ignored"))

        let chosen = try runAsUnprivilegedUser(program, ["--driver-dir", planted.directory, "list"], planted: planted)
        #expect(chosen.status == 2)
        #expect(chosen.output.contains("dmactl: --driver-dir \(planted.directory): plugin paths chosen by the caller are refused: "
                                       + "this process runs with privileges its user does not have (it runs set-user-ID (real uid 65534, effective uid 0))"))
        #expect(!FileManager.default.fileExists(atPath: planted.marker), "the planted plugin was mapped")
    }
}
