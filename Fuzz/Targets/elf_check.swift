#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Fuzz target `elf_check`: the check of a candidate plugin's ELF header before dlopen
// (ELFCheck.problem in Sources/DriverHost/ELFCheck.swift), through the loader's own way to the
// file: the input is written to a file in a private directory, which PluginFile.open walks
// from `/` and opens, and ELFCheck reads with pread.
//
// Checked: the file is accepted exactly when a model of the documented rule accepts its first
// 64 bytes (ELF magic, 64-bit class, little-endian data, type ET_DYN, this machine), and a
// refusal names the rule that failed first; a refusal never echoes a control character or
// other unprintable byte of the file (its text goes to logs and terminals).

/// The directory the candidates are written to (created once, mode 0700) and the file's path.
private let candidatePath: String = {
    let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array((temporary + "/dmahost-fuzz-elf.XXXXXX").utf8CString)
    guard let directory = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        fatalError("mkdtemp: \(String(cString: strerror(errno)))")
    }
    guard let real = realpath(directory, nil) else { fatalError("realpath: \(String(cString: strerror(errno)))") }
    defer { free(real) }
    atexit { removeCandidate() }
    return String(cString: real) + "/libdmahost-candidate.so"
}()

/// Removes the candidate and its directory (at exit).
private func removeCandidate() {
    unlink(candidatePath)
    rmdir(String(candidatePath[..<(candidatePath.lastIndex(of: "/") ?? candidatePath.endIndex)]))
}

private let trust = PluginTrust(ExecutionContext.current())
#if arch(x86_64)
private let machine: UInt16 = 62
#elseif arch(arm64)
private let machine: UInt16 = 183
#endif

/// Which rule the model says the header breaks first; nil when it is a loadable shared object.
private enum Rule: Equatable {
    case notELF, notELF64LittleEndian, notSharedObject, otherMachine
}

private func model(_ bytes: [UInt8]) -> Rule? {
    let header = Array(bytes.prefix(64))
    guard header.count >= 20, header.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { return .notELF }
    guard header[4] == 2, header[5] == 1 else { return .notELF64LittleEndian }
    guard UInt16(header[16]) + UInt16(header[17]) * 256 == 3 else { return .notSharedObject }
    return UInt16(header[18]) + UInt16(header[19]) * 256 == machine ? nil : .otherMachine
}

/// The rule a refusal's text names.
private func rule(named problem: String) -> Rule? {
    if problem.hasPrefix("not an ELF shared object") { return .notELF }
    if problem.hasPrefix("ELF object is not 64-bit little-endian") { return .notELF64LittleEndian }
    if problem.contains(", not a shared object (ET_DYN)") { return .notSharedObject }
    if problem.hasPrefix("ELF shared object for machine") { return .otherMachine }
    return nil
}

/// Replaces the candidate file's contents with `bytes`.
private func write(_ bytes: [UInt8]) {
    let descriptor = open(candidatePath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { fatalError("open \(candidatePath): \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count else { fatalError("write \(candidatePath): \(written) of \(bytes.count) bytes") }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzELFCheck(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let bytes = input.rest()
    write(bytes)
    let file: PluginFile
    do throws(PluginFile.Failure) {
        file = try PluginFile.open(candidatePath, trust: trust)
    } catch {
        fatalError("the candidate in a private directory could not be opened: \(error)")
    }
    let problem = ELFCheck.problem(in: file)
    let expected = model(bytes)
    guard let problem else {
        require(expected == nil, "accepted, the rule says \(String(describing: expected)) (first bytes \(bytes.prefix(20)))")
        return 0
    }
    require(rule(named: problem) == expected, "refused with '\(problem)', the rule says \(String(describing: expected))")
    require(problem.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && $0.value < 0x80 || $0 == "…" },
            "the refusal echoes an unprintable character: \(Array(problem.utf8))")
    if expected == .notELF {
        require(problem.contains("(\(min(bytes.count, 64)) bytes read"), "'\(problem)' miscounts the \(bytes.count) bytes")
    }
    return 0
}
