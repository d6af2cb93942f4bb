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
        /// Test-only: sanitizer runtime options for the test binary (allocator_may_return_null).
        .target(name: "SanitizerDefaults", path: "Tests/SanitizerDefaults"),
        .testTarget(name: "DMAHostTests", dependencies: ["DMAHost", "SanitizerDefaults"]),
    ],
    swiftLanguageModes: [.v6]
)
