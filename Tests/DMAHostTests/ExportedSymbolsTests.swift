import Foundation
import ProcessTestSupport
import Testing

/// Every function of spdk/dma.h (spdk_memory_domain_*, spdk_dma_*) is exported by libDMAHost.so.
@Suite("Exported symbols")
struct ExportedSymbolsTests {
    /// The functions spdk/dma.h declares (SPDK v24.09+; spdk_dma_device_type_get_name since v26.05).
    static let expected: Set<String> = [
        "spdk_memory_domain_create", "spdk_memory_domain_destroy",
        "spdk_memory_domain_set_translation", "spdk_memory_domain_set_invalidate", "spdk_memory_domain_set_pull",
        "spdk_memory_domain_set_push", "spdk_memory_domain_set_data_transfer", "spdk_memory_domain_set_memzero",
        "spdk_memory_domain_get_context", "spdk_memory_domain_get_user_context",
        "spdk_memory_domain_get_dma_device_type", "spdk_memory_domain_get_dma_device_id",
        "spdk_memory_domain_pull_data", "spdk_memory_domain_push_data", "spdk_memory_domain_transfer_data",
        "spdk_memory_domain_translate_data", "spdk_memory_domain_invalidate_data", "spdk_memory_domain_memzero",
        "spdk_memory_domain_get_first", "spdk_memory_domain_get_next", "spdk_memory_domain_get_system_domain",
        "spdk_dma_device_type_get_name",
    ]

    /// Whether a symbol belongs to the spdk/dma.h namespace.
    static func isDMAFunction(_ name: String) -> Bool {
        name.hasPrefix("spdk_memory_domain_") || name.hasPrefix("spdk_dma_")
    }

    /// Whether `nm` is available; prints why the test is skipped when it is not.
    static var nmAvailable: Bool {
        if ExternalTools.find("nm") != nil { return true }
        print("Exported symbols: skipped, `nm` is not installed (apt-get install binutils)")
        return false
    }

    @Test("the header declares exactly the expected functions")
    func headerDeclarations() throws {
        let header = ExternalTools.readText(ExternalTools.packageRoot.appendingPathComponent("Sources/CDMAHostABI/include/spdk/dma.h").path)
        try #require(header.contains("spdk_memory_domain_create"), "cannot read spdk/dma.h")
        // Function declarations: the name directly followed by "(" (typedefs are "(*name)(").
        let declared = Set(header.matches(of: /[\s*](spdk_(?:memory_domain|dma)_[a-z_]+)\(/).map { String($0.1) })
        #expect(declared == Self.expected)
    }

    @Test("nm -D --defined-only lists every spdk/dma.h function as a text symbol",
          .enabled(if: nmAvailable, "nm is not installed"))
    func exported() throws {
        let nm = try #require(ExternalTools.find("nm"))
        let (found, searched) = ExternalTools.libraryDirectory()
        let bin = try #require(found, "libDMAHost.so not found in \(searched)")
        let work = try ExternalTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try ExternalTools.run(nm, ["-D", "--defined-only", bin.appendingPathComponent("libDMAHost.so").path])
        try #require(result.status == 0, "nm failed:\n\(result.transcript)")
        var textSymbols = Set<String>()
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 3, fields[1] == "T" { textSymbols.insert(String(fields[2])) }
        }
        let missing = Self.expected.subtracting(textSymbols)
        #expect(missing.isEmpty, "not exported: \(missing.sorted())")
        let extra = textSymbols.filter(Self.isDMAFunction).subtracting(Self.expected)
        #expect(extra.isEmpty, "unexpected spdk_memory_domain_* or spdk_dma_* exports: \(extra.sorted())")
    }
}
