#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a child process ended.
enum ChildTermination: Equatable, Sendable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it (SIGSEGV, SIGILL, SIGABRT, …).
    case signaled(Int32)
    /// It was still running at the time limit and was killed (SIGKILL, its whole process group).
    case timedOut
}

/// What a child process printed and how it ended.
struct ChildResult: Sendable {
    var termination: ChildTermination
    var stdout: String
    var stderr: String
}

/// Runs a program as a child process (`posix_spawn`, in a process group of its own) with a
/// time limit, collecting its standard output and error.
enum ChildProcess {
    /// The path of the running executable (`/proc/self/exe`), to run dmactl itself.
    static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `arguments[0]` with `arguments`, the environment of this process plus `extra`
    /// ("NAME=value" entries, which take precedence), and no input.
    /// - Parameter limit: Seconds after which the child (and its process group) is killed.
    /// - Returns: The result, or the reason the child could not be started.
    static func run(_ arguments: [String], environment extra: [String] = [], limit: Double) -> Result<ChildResult, Failure> {
        guard let program = arguments.first else { return .failure(Failure(.failed, "no program to run")) }
        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { return .failure(Failure(.failed, "pipe: \(String(cString: strerror(errno)))")) }
        guard pipe(&errors) == 0 else {
            close(output[0]); close(output[1])
            return .failure(Failure(.failed, "pipe: \(String(cString: strerror(errno)))"))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errors[1], STDERR_FILENO)
        for descriptor in [output[0], output[1], errors[0], errors[1]] { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let names = Set(extra.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        var inherited: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let name = text.split(separator: "=", maxSplits: 1).first, !names.contains(String(name)) { inherited.append(text) }
            cursor += 1
        }
        let envp: [UnsafeMutablePointer<CChar>?] = (inherited + extra).map { strdup($0) } + [nil]
        defer { for entry in envp { free(entry) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        close(output[1])
        close(errors[1])
        guard rc == 0 else {
            close(output[0]); close(errors[0])
            return .failure(Failure(.failed, "cannot run \(program): \(String(cString: strerror(rc)))"))
        }
        let start = monotonicSeconds()
        let (stdout, stderr, closed) = collect(output: output[0], errors: errors[0], limit: limit)
        close(output[0])
        close(errors[0])
        // The pipes closed (usually at exit); wait for the exit itself within the limit too.
        var status: Int32 = 0
        var exited = false
        while closed && !exited && monotonicSeconds() - start < limit {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { exited = true } else if waited < 0 && errno != EINTR { break } else { usleep(10_000) }
        }
        if !exited {
            kill(-pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        let termination: ChildTermination
        if !exited {
            termination = .timedOut
        } else if status & 0x7f == 0 {
            termination = .exited((status >> 8) & 0xff)
        } else {
            termination = .signaled(status & 0x7f)
        }
        return .success(ChildResult(termination: termination, stdout: stdout, stderr: stderr))
    }

    /// Reads both pipes until both reach end of file, or until `limit` seconds passed.
    /// - Returns: The text read, and whether both pipes were closed in time.
    private static func collect(output: Int32, errors: Int32, limit: Double) -> (String, String, Bool) {
        var collected: [[UInt8]] = [[], []]
        var open = [true, true]
        let descriptors = [output, errors]
        let start = monotonicSeconds()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while open[0] || open[1] {
            let remaining = limit - (monotonicSeconds() - start)
            guard remaining > 0 else { break }
            var polled = descriptors.enumerated().map { pollfd(fd: open[$0.offset] ? $0.element : -1, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), Int32(min(remaining * 1000, 1000).rounded(.up)))
            if ready < 0 && errno != EINTR { break }
            for index in 0..<2 where open[index] && polled[index].revents != 0 {
                let count = read(descriptors[index], &buffer, buffer.count)
                if count > 0 {
                    collected[index] += buffer[0..<count]
                } else if count == 0 || errno != EINTR {
                    open[index] = false
                }
            }
        }
        let text = collected.map { String(decoding: $0, as: UTF8.self) }
        return (text[0], text[1], !open[0] && !open[1])
    }

    /// CLOCK_MONOTONIC in seconds.
    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
