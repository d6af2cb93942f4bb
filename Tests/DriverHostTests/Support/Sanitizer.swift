import Foundation

/// The sanitizer this test binary was built with (`swift test --sanitize=...`), found by
/// looking for the runtime's entry point in the process.
enum Sanitizer: String {
    case none, thread, address

    static let current: Sanitizer = {
        let everywhere = UnsafeMutableRawPointer(bitPattern: 0) // RTLD_DEFAULT
        if dlsym(everywhere, "__tsan_init") != nil { return .thread }
        if dlsym(everywhere, "__asan_init") != nil { return .address }
        return .none
    }()

    /// Compiler and flags for a C program that links the (then instrumented) libDMAHost.so:
    /// the toolchain's clang with the same sanitizer and its shared runtime (which exports
    /// every entry point the instrumented library and plugins need).
    var programCompiler: (compiler: String, flags: [String]) {
        switch self {
        case .none: return (Fixtures.compiler, [])
        case .thread: return ("clang", ["-fsanitize=thread", "-shared-libsan", "-Wl,-rpath," + Self.runtimeDirectory])
        case .address: return ("clang", ["-fsanitize=address", "-shared-libsan", "-Wl,-rpath," + Self.runtimeDirectory])
        }
    }

    /// The directory of clang's sanitizer runtimes (`clang -print-file-name`).
    static let runtimeDirectory: String = {
        let printed = (try? Fixtures.run("clang", ["-print-file-name=libclang_rt.tsan-x86_64.so"]).stdout) ?? ""
        let path = printed.trimmingCharacters(in: .whitespacesAndNewlines)
        return (path as NSString).deletingLastPathComponent
    }()
}
