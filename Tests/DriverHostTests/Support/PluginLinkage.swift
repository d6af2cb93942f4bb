import Foundation

/// The plugin-linkage rule, checked on built files: a plugin never links the core. It has no
/// NEEDED entry for `libDMAHost.so`, and its dynamic symbol table neither defines nor
/// references a symbol of the core (a plugin that embeds a copy of the core defines them; one
/// that calls the core directly references them). Read with `readelf -dW --dyn-syms`.
enum PluginLinkage {
    /// One broken rule in one plugin.
    struct Violation: Equatable, CustomStringConvertible {
        /// The plugin's path.
        var plugin: String
        /// What is wrong, naming the library or the symbol.
        var problem: String
        var description: String { "\((plugin as NSString).lastPathComponent): \(problem)" }
    }

    /// What a shared object's dynamic section and dynamic symbol table hold.
    struct DynamicInfo {
        /// The NEEDED entries (library names).
        var needed: [String] = []
        /// Symbols the object defines (without version suffix).
        var defined: Set<String> = []
        /// Symbols the object references and others must define (without version suffix).
        var undefined: Set<String> = []
    }

    /// Reads the NEEDED entries and the dynamic symbols of `path` (`readelf -dW --dyn-syms`).
    static func dynamicInfo(of path: String) throws -> DynamicInfo {
        let result = try Fixtures.run("readelf", ["-d", "-W", "--dyn-syms", path])
        guard result.status == 0 else { throw FixtureError("readelf \(path) failed:\n\(result.output)") }
        var info = DynamicInfo()
        for line in result.stdout.split(separator: "\n") {
            if line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") {
                info.needed.append(String(line[line.index(after: open)..<close]))
                continue
            }
            // "  Num: Value Size Type Bind Vis Ndx Name", e.g.
            // "   12: 0000000000001820   123 FUNC    GLOBAL DEFAULT   14 dmahost_driver_entry"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[0].hasSuffix(":"), fields[0].dropLast().allSatisfy(\.isNumber) else { continue }
            let name = String(fields[7].prefix { $0 != "@" })
            guard !name.isEmpty else { continue }
            if fields[6] == "UND" { info.undefined.insert(name) } else { info.defined.insert(name) }
        }
        return info
    }

    /// Whether a symbol is in one of the core's namespaces: its C functions and data
    /// (`spdk_*`, `dmahost_*`) and the Swift symbols of its modules (DMAHost, DriverHost).
    /// The plugin kit's own C symbols (`dmasync_*`) and Swift modules are not.
    static func isCoreNamespace(_ name: String) -> Bool {
        name.hasPrefix("spdk_") || name.hasPrefix("dmahost_")
            || name.hasPrefix("$s7DMAHost") || name.hasPrefix("$s10DriverHost")
    }

    /// The symbols a plugin must not touch: those `libDMAHost.so` defines in its dynamic symbol
    /// table in the core's namespaces (every `spdk_memory_domain_*`, the registry, the system
    /// domain, the host C API, the driver host's helpers, the core's Swift API). The plugin
    /// entry, which every plugin defines, is not one of them.
    static func coreSymbols(of core: String) throws -> Set<String> {
        try dynamicInfo(of: core).defined.filter { isCoreNamespace($0) && $0 != "dmahost_driver_entry" }
    }

    /// Every way `plugin` breaks the rule: a NEEDED `libDMAHost.so`, and each defined or
    /// referenced symbol that is in `coreSymbols` or starts with `spdk_`.
    static func violations(of plugin: String, coreSymbols: Set<String>) throws -> [Violation] {
        let info = try dynamicInfo(of: plugin)
        var found: [Violation] = []
        for library in info.needed where library.hasPrefix("libDMAHost.so") {
            found.append(Violation(plugin: plugin, problem: "NEEDED \(library)"))
        }
        func isCore(_ name: String) -> Bool { coreSymbols.contains(name) || name.hasPrefix("spdk_") }
        for name in info.defined.filter(isCore).sorted() {
            found.append(Violation(plugin: plugin, problem: "defines core symbol \(name)"))
        }
        for name in info.undefined.filter(isCore).sorted() {
            found.append(Violation(plugin: plugin, problem: "references core symbol \(name)"))
        }
        return found
    }

    /// The plugins in `directory` (`libdmahost-*.so`), sorted by name.
    static func plugins(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("libdmahost-") && $0.hasSuffix(".so") }
            .sorted()
            .map { "\(directory)/\($0)" }
    }
}
