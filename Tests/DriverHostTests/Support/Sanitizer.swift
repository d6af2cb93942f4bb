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
    /// the toolchain's clang with the same sanitizer, exporting the runtime's entry points
    /// for the libraries it loads.
    var programCompiler: (compiler: String, flags: [String]) {
        let exports = "-Wl,--dynamic-list=" + Fixtures.repositoryRoot + "/Plugins/sanitizer-runtime.exports"
        switch self {
        case .none: return (Fixtures.compiler, [])
        case .thread: return ("clang", ["-fsanitize=thread", exports])
        case .address: return ("clang", ["-fsanitize=address", exports])
        }
    }
}
