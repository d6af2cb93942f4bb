import Testing

/// README.md's layout tables against Package.swift, the rule that host modules never depend on
/// a plugin's, and the paths the Markdown documents name.
@Suite("Repository layout: README, manifest, module boundaries, document paths")
struct RepositoryLayoutTests {
    let repository = Repository.current

    /// The manifest's targets; fails the test when Package.swift cannot be read.
    func manifestTargets() throws -> [ManifestTarget] {
        try Manifest.targets(in: try repository.read("Package.swift"))
    }

    @Test("Package.swift is read: known targets with their folders and sections, every folder exists")
    func manifestIsRead() throws {
        let targets = try manifestTargets()
        #expect(targets.count >= 30, "found only \(targets.count) targets: the reader missed declarations")
        let byName = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byName.count == targets.count, "a target is declared twice")
        #expect(byName["DMAHost"]?.folder == "Sources/DMAHost")
        #expect(byName["CPUCopyEngine"]?.folder == "Plugins/CPUAccel/CPUCopyEngine")
        #expect(byName["CLibPCI"]?.kind == "systemLibrary")
        #expect(byName["dmactl"]?.kind == "executableTarget")
        #expect(byName["DMAHostTests"]?.folder == "Tests/DMAHostTests")
        #expect(byName["DMAHostTests"]?.section == "Tests")
        #expect(byName["DMADriverKit"]?.section == "The plugin kit")
        for target in targets {
            #expect(repository.isDirectory(target.folder), "Package.swift: \(target) has no folder")
        }
    }

    @Test("README.md's layout tables list every target of Package.swift, with its folder, under its section")
    func readmeListsEveryTarget() throws {
        let table = LayoutTable.rows(in: try repository.read("README.md"))
        #expect(!table.isEmpty, "README.md has no `Target | Folder | What` table under ## Layout")
        for problem in LayoutTable.differences(manifest: try manifestTargets(), table: table) {
            Issue.record("\(problem)")
        }
    }

    @Test("The comparison names a missing target, an unknown row, a wrong folder and a wrong section")
    func comparisonFindsEachDifference() {
        let manifest = [
            ManifestTarget(name: "A", kind: "target", folder: "Sources/A", section: "Core"),
            ManifestTarget(name: "B", kind: "target", folder: "Plugins/X/B", section: "X"),
            ManifestTarget(name: "C", kind: "testTarget", folder: "Tests/C", section: "Tests"),
        ]
        let table = [
            LayoutRow(name: "A", folder: "Sources/A", section: "Core", line: 1),
            LayoutRow(name: "B", folder: "Plugins/B", section: "Core", line: 2),
            LayoutRow(name: "Z", folder: "Sources/Z", section: "Core", line: 3),
        ]
        let problems = LayoutTable.differences(manifest: manifest, table: table)
        #expect(problems.count == 4, "\(problems)")
        #expect(problems.contains { $0.contains("target C") && $0.contains("missing") })
        #expect(problems.contains { $0.contains("Z") && $0.contains("no target") })
        #expect(problems.contains { $0.contains("folder of target B is Plugins/X/B") })
        #expect(problems.contains { $0.contains("declares B under \"X\"") })
        let matching = [
            LayoutRow(name: "A", folder: "Sources/A", section: "Core", line: 1),
            LayoutRow(name: "B", folder: "Plugins/X/B", section: "X", line: 2),
            LayoutRow(name: "C", folder: "Tests/C", section: "Tests", line: 3),
        ]
        #expect(LayoutTable.differences(manifest: manifest, table: matching).isEmpty)
    }

    @Test("The manifest reader resolves backendPath, default folders, sections, and ignores comments")
    func manifestReader() throws {
        let manifest = """
            func backendPath(_ backend: String, _ target: String) -> String { "Plugins/\\(backend)/\\(target)" }
            let package = Package(name: "P", products: [.library(name: "L", targets: ["K"])], targets: [
                // MARK: - Core
                /// Not a declaration: .target(name: "Commented")
                .target(name: "K", dependencies: [.product(name: "Logging", package: "swift-log")]),
                .systemLibrary(name: "S", path: "Sources/S", pkgConfig: "s"),
                // MARK: - Backend
                .target(name: "E", dependencies: ["K"], path: backendPath("Back", "E"), linkerSettings: x + [.linkedLibrary("m")]),
                .executableTarget(name: "tool"),
                // MARK: - Tests
                .testTarget(name: "KTests", dependencies: ["K"]),
            ])
            """
        let targets = try Manifest.targets(in: manifest)
        #expect(targets == [
            ManifestTarget(name: "K", kind: "target", folder: "Sources/K", section: "Core"),
            ManifestTarget(name: "S", kind: "systemLibrary", folder: "Sources/S", section: "Core"),
            ManifestTarget(name: "E", kind: "target", folder: "Plugins/Back/E", section: "Backend"),
            ManifestTarget(name: "tool", kind: "executableTarget", folder: "Sources/tool", section: "Backend"),
            ManifestTarget(name: "KTests", kind: "testTarget", folder: "Tests/KTests", section: "Tests"),
        ])
    }

    @Test("No module in Sources/ imports a module, or includes a header, whose folder is under Plugins/")
    func hostModulesNeverDependOnPlugins() throws {
        let targets = try manifestTargets()
        #expect(targets.contains { $0.folder.hasPrefix("Plugins/") }, "no plugin module found: the check would pass vacuously")
        for problem in try Imports.pluginDependencies(of: repository, targets: targets) {
            Issue.record("\(problem)")
        }
    }

    @Test("Import and include lines are read in every form")
    func importReader() {
        let swift = """
            import A
            @testable import B
            @preconcurrency import struct C.Thing
              import D // comment
            // import NotThis
            let x = "import NotThisEither"
            """
        #expect(Imports.swiftModules(in: swift).map(\.module) == ["A", "B", "C", "D"])
        let c = "#include \"dmahost/iovec.h\"\n# include <stdint.h>\n// #include \"no.h\"\n"
        #expect(Imports.cHeaders(in: c).map(\.header) == ["dmahost/iovec.h", "stdint.h"])
    }

    @Test("Every repository path named in a Markdown document exists")
    func documentPathsExist() throws {
        for problem in try DocumentPaths.missing(in: repository) {
            Issue.record("\(problem)")
        }
    }

    @Test("Document paths: spans, links and code words are found; patterns are skipped")
    func documentPathReader() {
        let text = """
            See `Plugins/CPUAccel/CPUCopyEngine/` and [the guide](Plugins/README.md#one), not `cpu:0` or `a b/c`.
            ```sh
            bash Scripts/test.sh --x=Tests/VM/run-in-vm.sh
            ```
            """
        let found = DocumentPaths.candidates(in: text).map(\.path)
        #expect(found == ["Plugins/CPUAccel/CPUCopyEngine/", "Plugins/README.md", "Scripts/test.sh", "Tests/VM/run-in-vm.sh"])
        #expect(DocumentPaths.isPattern("Plugins/*/README.md") && DocumentPaths.isPattern("Plugins/<Backend>")
                && DocumentPaths.isPattern("Fuzz/Corpus/TARGET/seed") && DocumentPaths.isPattern("Targets/TARGET.swift")
                && !DocumentPaths.isPattern("Tests/VM"))
    }
}
