// swift-tools-version:6.1
// DMAHost: SPDK-compatible memory domains in Swift, with a plugin-based driver host.

import PackageDescription

/// Plugins are linked -Bsymbolic so that the Swift code they carry (the driver kit) binds to
/// their own copy, never to a same-named symbol a host executable happens to export.
let pluginLinkerSettings: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]

let package = Package(
    name: "DMAHost",
    products: [
        /// The library C programs and Swift programs link: core registry, spdk/dma.h ABI, Swift API.
        .library(name: "DMAHost", type: .dynamic, targets: ["DMAHost"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        /// Public C headers: spdk/dma.h and the plugin ABI dmahost/driver.h. No state.
        .target(name: "CDMAHostABI"),
        /// Internal C layout of domain records and the statically initialised registry.
        .target(name: "CDMAHostRegistry", dependencies: ["CDMAHostABI"]),
        /// Types shared by the host and Swift plugins (errors, device types, the driver protocol). No state.
        .target(name: "DMADriverKit", dependencies: ["CDMAHostABI"]),
        /// The core: registry, system domain, spdk_memory_domain_* exports, Swift API.
        .target(
            name: "DMAHost",
            dependencies: ["CDMAHostABI", "CDMAHostRegistry", "DMADriverKit"]
        ),
        .testTarget(name: "DMAHostTests", dependencies: ["DMAHost"]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - RDMA verbs backend (branch `rdma`): libibverbs plugin, registration cache, tests.
package.products += [
    /// RDMA verbs backend: RDMA READ/WRITE over an RC loopback QP pair, lkey/rkey translation.
    .library(name: "dmahost-rdma", type: .dynamic, targets: ["RDMAVerbsPlugin"]),
]
package.targets += [
    /// libibverbs through pkg-config (module CIBVerbs: the verbs.h types and exported functions).
    .systemLibrary(
        name: "CIBVerbs", path: "Plugins/RDMAVerbs/CIBVerbs", pkgConfig: "libibverbs",
        providers: [.apt(["libibverbs-dev"])]
    ),
    /// C wrappers for what Swift cannot call directly: verbs.h macros and static inline
    /// functions, the weakly bound ibv_reg_dmabuf_mr, and the udmabuf ioctl of the dma-buf probe.
    .target(name: "CIBVerbsShim", dependencies: ["CIBVerbs"], path: "Plugins/RDMAVerbs/CIBVerbsShim"),
    /// Pure Swift: the page-aligned memory-registration cache (intervals, merge, refcounts, LRU).
    .target(name: "RegistrationCache", path: "Plugins/RDMAVerbs/RegistrationCache"),
    /// The backend: typed verbs wrappers, the RDMA engine, domain callbacks, the driver.
    .target(
        name: "RDMAVerbsKit",
        dependencies: ["CIBVerbsShim", "RegistrationCache", "DMADriverKit", "CDMAHostABI"],
        path: "Plugins/RDMAVerbs/RDMAVerbsKit"
    ),
    /// The plugin entry symbol only (kept apart so tests can link RDMAVerbsKit).
    .target(
        name: "RDMAVerbsPlugin", dependencies: ["RDMAVerbsKit"], path: "Plugins/RDMAVerbs/RDMAVerbsPlugin",
        linkerSettings: pluginLinkerSettings
    ),
    /// Host unit tests (cache, planner, status mapping) and the RDMAHardware… suites (guest).
    .testTarget(name: "RDMAVerbsTests", dependencies: ["RDMAVerbsKit", "RegistrationCache", "DMAHost"]),
]
