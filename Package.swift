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

// MARK: - CPU accel backend, copy engine and `dmactl bench` (branch `cpu`)
// One block so that merges stay easy: it appends its products and targets to `package`.

/// The CPU backend's plugin and the libraries behind it.
let cpuProducts: [Product] = [
    /// CPU accel backend plugin: devices cpu:0…, ACCEL domains backed by the CPU copy engine.
    .library(name: "dmahost-cpu", type: .dynamic, targets: ["CPUAccel"]),
]

let cpuTargets: [Target] = [
    /// futex(2) and clock wrappers in C (Swift cannot call the variadic syscall()).
    .target(name: "CDMASync"),
    /// Waiting primitives over CDMASync: Futex, EventCount, SpinPolicy.
    .target(name: "DMASync", dependencies: ["CDMASync"]),
    /// The asynchronous CPU copy engine (worker threads, bounded descriptor ring). No DMAHost dependency.
    .target(name: "CPUCopyEngine", dependencies: ["DMADriverKit", "DMASync", "CDMASync"]),
    /// C layout of a CPU domain's user context (dmahost/cpu_accel.h), for users that poll.
    .target(name: "CCPUAccel", path: "Plugins/CPUAccel/CABI"),
    /// The CPU accel plugin (product dmahost-cpu). Never links the core.
    .target(
        name: "CPUAccel",
        dependencies: ["DMADriverKit", "CPUCopyEngine", "CCPUAccel"],
        path: "Plugins/CPUAccel/Driver",
        linkerSettings: pluginLinkerSettings
    ),
    .testTarget(name: "CPUCopyEngineTests", dependencies: ["CPUCopyEngine", "DMASync"]),
]

package.products += cpuProducts
package.targets += cpuTargets
