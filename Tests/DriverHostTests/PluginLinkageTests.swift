import Foundation
import Testing

/// A plugin never links the core (CONTRIBUTING.md, Plugins/README.md): checked on every
/// `libdmahost-*.so` the build produced, with `PluginLinkage`, and the checker itself checked on
/// a fixture plugin that breaks the rule (`Tests/Fixtures/BadPlugins/links_core.c`).
@Suite("Plugin linkage")
struct PluginLinkageTests {
    /// The plugins this package builds; the check fails if one is missing, so that it cannot
    /// pass on an empty directory.
    static let knownPlugins = ["cpu", "dmaengine", "rdma", "ucx", "vendor-c", "vendor-swift"]

    static var core: String { Fixtures.buildDirectory + "/libDMAHost.so" }

    @Test("The core symbols, read from libDMAHost.so, include spdk/dma.h, the registry and the host C API")
    func coreSymbols() throws {
        let symbols = try PluginLinkage.coreSymbols(of: Self.core)
        for name in ["spdk_memory_domain_create", "spdk_memory_domain_get_first", "spdk_dma_device_type_get_name",
                     "dmahost_registry_instance", "dmahost_system_domain_instance", "dmahost_host_create"] {
            #expect(symbols.contains(name), "libDMAHost.so does not define \(name)")
        }
        #expect(symbols.contains { $0.hasPrefix("$s7DMAHost") }, "no Swift symbol of the DMAHost module")
        #expect(!symbols.contains { $0.hasPrefix("dmasync_") }, "the plugin kit's symbols are not the core's")
    }

    @Test("No built plugin needs libDMAHost.so, or defines or references a core symbol")
    func everyBuiltPlugin() throws {
        let plugins = try PluginLinkage.plugins(in: Fixtures.buildDirectory)
        let names = Set(plugins.map { ($0 as NSString).lastPathComponent.dropFirst("libdmahost-".count).dropLast(".so".count) }.map(String.init))
        let missing = Set(Self.knownPlugins).subtracting(names)
        try #require(missing.isEmpty, "not built in \(Fixtures.buildDirectory): \(missing.sorted()) (swift build first)")
        let core = try PluginLinkage.coreSymbols(of: Self.core)
        for plugin in plugins {
            let violations = try PluginLinkage.violations(of: plugin, coreSymbols: core)
            #expect(violations.isEmpty, "\(violations.map(\.description).joined(separator: "; "))")
        }
    }

    @Test("The check reports a plugin that links libDMAHost.so and calls spdk_memory_domain_get_first")
    func pluginLinkingTheCore() throws {
        let plugin = try Self.buildFixture(flags: ["-L", Fixtures.buildDirectory, "-lDMAHost"])
        let violations = try PluginLinkage.violations(of: plugin, coreSymbols: PluginLinkage.coreSymbols(of: Self.core))
        #expect(violations.contains(.init(plugin: plugin, problem: "NEEDED libDMAHost.so")), "\(violations)")
        #expect(violations.contains(.init(plugin: plugin, problem: "references core symbol spdk_memory_domain_get_first")),
                "\(violations)")
        #expect(violations.allSatisfy { $0.description.hasPrefix("libdmahost-links-core.so: ") })
    }

    @Test("The check reports a plugin that carries its own copy of a core symbol")
    func pluginEmbeddingTheCore() throws {
        let plugin = try Self.buildFixture(flags: ["-DEMBED_CORE"])
        let violations = try PluginLinkage.violations(of: plugin, coreSymbols: PluginLinkage.coreSymbols(of: Self.core))
        #expect(violations == [.init(plugin: plugin, problem: "defines core symbol spdk_memory_domain_get_first")])
    }

    /// Compiles `links_core.c` with `flags` into a new directory as `libdmahost-links-core.so`
    /// (instrumented like the build under a sanitizer).
    static func buildFixture(flags: [String]) throws -> String {
        let directory = try Fixtures.temporaryDirectory("dmahost-linkage")
        let plugin = directory + "/libdmahost-links-core.so"
        let (compiler, sanitizerFlags) = Sanitizer.current.programCompiler
        let built = try Fixtures.run(compiler, sanitizerFlags + [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-I", Fixtures.includeDirectory,
            Fixtures.repositoryRoot + "/Tests/Fixtures/BadPlugins/links_core.c", "-o", plugin,
        ] + flags)
        try #require(built.status == 0, "\(built.output)")
        return plugin
    }
}
