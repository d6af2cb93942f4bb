// swift-tools-version:6.1
// DMAHost: SPDK-compatible memory domains in Swift, with a plugin-based driver host.
//
// Read top to bottom: the settings shared by several targets; then the targets by role: the
// public C ABI and the core library, the plugin kit (all a plugin may link besides its own
// backend's targets), the driver host and its tools, one section per backend; the tests last.

import PackageDescription

// MARK: - Shared settings

/// Plugins are linked -Bsymbolic so that the Swift code they carry (the driver kit) binds to
/// their own copy, never to a same-named symbol a host executable happens to export.
let pluginLinkerSettings: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]

/// Programs that dlopen plugins export the sanitizer runtime's entry points: under
/// `--sanitize=thread/address` the plugins are instrumented too and need symbols (e.g.
/// `__tsan_external_write`) that the runtime's own export list omits. No effect otherwise.
let pluginHostLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--dynamic-list=\(Context.packageDirectory)/Plugins/sanitizer-runtime.exports"]),
]

/// Per-operation code of the RDMA backend skips the run-time exclusivity checks in release
/// builds: each check is two runtime calls and a thread-local lookup (through
/// `__tls_get_addr` in a plugin), and they cost more than the work they guard. Debug builds,
/// which the tests and sanitizers run, keep them.
let hotPathSwiftSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// Where a backend's target lives: `Plugins/<backend>/<target>`. Every backend keeps its targets
/// side by side in its own folder (C shims and system libraries, engine, kit, plugin entry), so
/// adding or removing a backend touches one folder, one section below, its product and its tests.
func backendPath(_ backend: String, _ target: String) -> String { "Plugins/\(backend)/\(target)" }

let package = Package(
    name: "DMAHost",
    products: [
        /// The library C programs and Swift programs link: core registry, spdk/dma.h ABI, Swift API.
        /// DriverHost (the plugin loader and its C API, dmahost/host.h) is part of it.
        .library(name: "DMAHost", type: .dynamic, targets: ["DMAHost", "DriverHost"]),
        /// Command-line tool: list, info, env, doctor, copy, bench, stress (and --version).
        .executable(name: "dmactl", targets: ["dmactl"]),

        // The plugin kit, for backends built in other packages (Templates/SwiftPlugin). Static:
        // each plugin carries its own copy, bound to itself by -Bsymbolic, so it needs no kit
        // library beside it at run time and never binds to the copy inside libDMAHost.so.

        /// Swift backends: the driver protocol, the export adapter, the argument checks, domain
        /// ownership, and the public C headers (module CDMAHostABI) their callbacks are typed by.
        .library(name: "DMADriverKit", type: .static, targets: ["DMADriverKit", "CDMAHostABI"]),
        /// Threads and waiting for backends that run threads of their own: POSIXThread, Locked,
        /// Futex, EventCount (not needed by the kit's API).
        .library(name: "DMASync", type: .static, targets: ["DMASync"]),

        // The plugins: one dynamic library per backend, `libdmahost-<driver name>.so`.

        /// CPU accel backend: devices cpu:0…, ACCEL domains backed by the CPU copy engine.
        .library(name: "dmahost-cpu", type: .dynamic, targets: ["CPUAccelPlugin"]),
        /// DMA engine backend: dma-buf memory domains, discovery of DMA engines, Intel DSA work queues.
        .library(name: "dmahost-dmaengine", type: .dynamic, targets: ["DMAEnginePlugin"]),
        /// RDMA verbs backend: RDMA READ/WRITE over an RC loopback QP pair, lkey/rkey translation.
        .library(name: "dmahost-rdma", type: .dynamic, targets: ["RDMAVerbsPlugin"]),
        /// Vendor sample written in Swift (type 1000), a memory-to-memory copy engine.
        .library(name: "dmahost-vendor-swift", type: .dynamic, targets: ["VendorSampleSwift"]),
        /// Vendor sample written in C (type 1001), a memory-to-memory copy engine.
        .library(name: "dmahost-vendor-c", type: .dynamic, targets: ["VendorSampleC"]),
        /// UCX backend: remote memory domains of servers on other hosts (UCP active messages), and the server.
        .library(name: "dmahost-ucx", type: .dynamic, targets: ["UCXPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // MARK: - The public C ABI and the core library
        // The core also links DMADriverKit and DMASync, which it shares with plugins (plugin kit, below).

        /// Public C headers: spdk/dma.h, the plugin ABI (dmahost/driver.h), the host API
        /// (dmahost/host.h), the header-only argument checks (dmahost/iovec.h), the allocation
        /// interface of dma-buf domains (dmahost/dmabuf.h) and the user context of CPU domains
        /// (dmahost/cpu_accel.h). No state.
        .target(name: "CDMAHostABI"),
        /// Internal C layout of domain records, the statically initialised registry (list,
        /// address table, index by id) and the data-path dispatchers (dispatch.S).
        .target(name: "CDMAHostRegistry", dependencies: ["CDMAHostABI"]),
        /// Which completion slot the calling thread submits or delivers (host only).
        .target(name: "CDMAHostThreadState"),
        /// The core: registry, system domain, spdk_memory_domain_* exports, Swift API.
        .target(
            name: "DMAHost",
            dependencies: ["CDMAHostABI", "CDMAHostRegistry", "CDMAHostThreadState", "DMADriverKit", "DMASync"]
        ),

        // MARK: - The plugin kit
        // All a plugin may depend on besides its own backend's targets and system libraries:
        // the headers of CDMAHostABI (above) and the six targets below, none of which depends
        // on the core. A plugin never links the core (DMAHost, libDMAHost.so): a second copy of
        // the core is a second, invisible registry. PluginLinkageTests (DriverHostTests)
        // checks every built plugin for it.

        /// Types shared by the host and Swift plugins (errors, device types, the driver protocol,
        /// the export adapter, the argument checks of dmahost/iovec.h, the page size, SystemFiles:
        /// reading the sysfs/procfs files that describe devices). No state.
        .target(name: "DMADriverKit", dependencies: ["CDMAHostABI"]),
        /// C helpers of DMASync where Swift cannot reach: futex(2) through the variadic syscall(), a
        /// CPU pause hint, thread naming, the monotonic clock, and a thread-local nesting counter.
        .target(name: "CDMASync"),
        /// Waiting primitives over CDMASync (Futex, EventCount, SpinPolicy), Locked, a
        /// pthread-mutex-guarded value that ThreadSanitizer understands, and POSIXThread, the
        /// named thread every dedicated thread of the host, the tools and the plugins runs on.
        .target(name: "DMASync", dependencies: ["CDMASync"]),
        /// libdrm (drmGetDevices2, drmGetVersion, drmGetCap, PRIME) and the DRM uapi headers it ships.
        .systemLibrary(name: "CLibDRM", path: "Sources/CLibDRM", pkgConfig: "libdrm", providers: [.apt(["libdrm-dev"])]),
        /// Typed helpers over the kernel uapi ioctls: udmabuf, dma-heap, dma-buf sync, DRM dumb buffers, memfd seals.
        .target(name: "CDMABuf", dependencies: ["CLibDRM"]),
        /// dma-buf allocation (udmabuf, dma-heaps, DRM dumb + PRIME), import, mapping, CPU access sync;
        /// and the Swift client of a dma-buf domain's allocation interface (dmahost/dmabuf.h).
        .target(name: "DMABuf", dependencies: ["CDMABuf", "CLibDRM", "CDMAHostABI", "DMADriverKit", "DMASync"]),

        // MARK: - The driver host and tools

        /// C helpers of the driver host for what Glibc does not expose: dladdr1(3), openat with
        /// O_PATH, getauxval(AT_SECURE), and the thread-local record of the plugin being called.
        .target(name: "CDriverHostSupport"),
        /// Plugin loader (dlopen, validation, rejections), device selection, host C API (dmahost/host.h).
        .target(
            name: "DriverHost",
            dependencies: [
                "DMAHost", "CDMAHostABI", "CDriverHostSupport", "DMASync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        /// SplitMix64, a seeded generator: reproducible random layouts for dmactl and the tests.
        .target(name: "SeededRandom"),
        /// The measurement logic of `dmactl bench` (working sets, baselines, the domain runner,
        /// reports) for any device: RDMA, DMA engine, CPU (whose poll mode it reads through
        /// dmahost/cpu_accel.h) and vendor devices.
        .target(name: "DMABench", dependencies: ["DMAHost", "DMADriverKit", "DMASync", "CDMAHostABI"]),
        /// The command-line tool: list, info, env, doctor (optionally each plugin in a child
        /// process), copy, bench (DMABench) and stress; its JSON documents (docs/dmactl-json.md).
        .executableTarget(
            name: "dmactl",
            dependencies: [
                "DriverHost", "SeededRandom", "DMASync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                "DMABench",
            ],
            linkerSettings: pluginHostLinkerSettings
        ),

        // MARK: - CPU accel backend (libdmahost-cpu.so)

        /// C parts of the copy engine: non-temporal copy and fill kernels chosen by the CPU's
        /// features, the worker thread's engine.
        .target(name: "CCPUEngineSupport", path: backendPath("CPUAccel", "CCPUEngineSupport")),
        /// The asynchronous CPU copy engine (worker threads, bounded descriptor ring).
        .target(
            name: "CPUCopyEngine", dependencies: ["DMADriverKit", "DMASync", "CDMASync", "CCPUEngineSupport"],
            path: backendPath("CPUAccel", "CPUCopyEngine"), swiftSettings: hotPathSwiftSettings
        ),
        /// The backend: devices cpu:N, their settings, domain callbacks, the driver.
        .target(
            name: "CPUAccelKit", dependencies: ["DMADriverKit", "CPUCopyEngine", "CDMAHostABI", "DMASync"],
            path: backendPath("CPUAccel", "CPUAccelKit")
        ),
        /// The plugin entry symbol only (kept apart so tests can link the kit without it).
        .target(
            name: "CPUAccelPlugin", dependencies: ["CPUAccelKit", "DMADriverKit"],
            path: backendPath("CPUAccel", "CPUAccelPlugin"),
            linkerSettings: pluginLinkerSettings
        ),

        // MARK: - DMA engine / dma-buf backend (libdmahost-dmaengine.so)

        /// libpci (PCI enumeration with class, driver and NUMA node).
        .systemLibrary(name: "CLibPCI", path: backendPath("DMAEngine", "CLibPCI"), pkgConfig: "libpci", providers: [.apt(["libpci-dev"])]),
        /// libpci enumeration without its exit-on-error behaviour (plain C structs out).
        .target(name: "CPCIScan", dependencies: ["CLibPCI"], path: backendPath("DMAEngine", "CPCIScan")),
        /// Intel DSA/IAX submission: MOVDIR64B / ENQCMD inline assembly, CPUID feature bits.
        .target(name: "CIDXD", path: backendPath("DMAEngine", "CIDXD")),
        /// The backend: discovery, dma-buf domains, DSA descriptors and work queues, the driver.
        .target(
            name: "DMAEngineKit",
            dependencies: ["DMADriverKit", "DMABuf", "DMASync", "CDMABuf", "CLibDRM", "CPCIScan", "CIDXD"],
            path: backendPath("DMAEngine", "DMAEngineKit")
        ),
        /// The plugin entry symbol only (kept apart so tests can link the kit without it).
        .target(
            name: "DMAEnginePlugin",
            dependencies: ["DMAEngineKit", "DMADriverKit"],
            path: backendPath("DMAEngine", "DMAEnginePlugin"),
            linkerSettings: pluginLinkerSettings
        ),

        // MARK: - RDMA verbs backend (libdmahost-rdma.so)

        /// libibverbs through pkg-config (module CIBVerbs: the verbs.h types and exported functions).
        .systemLibrary(
            name: "CIBVerbs", path: backendPath("RDMAVerbs", "CIBVerbs"), pkgConfig: "libibverbs",
            providers: [.apt(["libibverbs-dev"])]
        ),
        /// C wrappers for what Swift cannot call directly: verbs.h macros and static inline
        /// functions, and the weakly bound ibv_reg_dmabuf_mr.
        .target(name: "CIBVerbsShim", dependencies: ["CIBVerbs"], path: backendPath("RDMAVerbs", "CIBVerbsShim")),
        /// The userfaultfd memory monitor (C: its thread never allocates): reports unmapped, moved and
        /// discarded memory so that cached registrations never outlive the pages they pinned.
        .target(name: "CMemoryMonitor", path: backendPath("RDMAVerbs", "CMemoryMonitor")),
        /// Pure Swift: the page-aligned memory-registration cache (intervals, merge, refcounts, LRU).
        .target(name: "RegistrationCache", path: backendPath("RDMAVerbs", "RegistrationCache"), swiftSettings: hotPathSwiftSettings),
        /// The backend: typed verbs wrappers, the RDMA engine, domain callbacks, the driver
        /// (whose dma-buf probe allocates its test udmabuf with DMABuf).
        .target(
            name: "RDMAVerbsKit",
            dependencies: ["CIBVerbsShim", "CMemoryMonitor", "RegistrationCache", "DMADriverKit", "CDMAHostABI", "DMASync", "CDMASync", "DMABuf"],
            path: backendPath("RDMAVerbs", "RDMAVerbsKit"),
            swiftSettings: hotPathSwiftSettings
        ),
        /// The plugin entry symbol only (kept apart so tests can link RDMAVerbsKit).
        .target(
            name: "RDMAVerbsPlugin", dependencies: ["RDMAVerbsKit"], path: backendPath("RDMAVerbs", "RDMAVerbsPlugin"),
            linkerSettings: pluginLinkerSettings
        ),

        // MARK: - Vendor sample in Swift (libdmahost-vendor-swift.so)

        /// A memory-to-memory copy engine written against DMADriverKit (and DMASync for its worker
        /// thread); the walk-through of Plugins/README.md.
        .target(name: "VendorSampleSwift", dependencies: ["DMADriverKit", "DMASync"], path: "Plugins/VendorSampleSwift",
                linkerSettings: pluginLinkerSettings),

        // MARK: - Vendor sample in C (libdmahost-vendor-c.so)

        /// The same copy engine in C, against the CDMAHostABI headers only (it also builds with cc
        /// alone).
        .target(name: "VendorSampleC", dependencies: ["CDMAHostABI"], path: "Plugins/VendorSampleC",
                linkerSettings: pluginLinkerSettings + [.linkedLibrary("pthread")]),

        // MARK: - UCX backend (libdmahost-ucx.so)

        /// Remote memory domains over UCX's UCP API, in C against the CDMAHostABI headers; libucp is
        /// opened with dlopen at run time (no link-time dependency), so a host without UCX loads the
        /// plugin and gets no devices. The UCX headers (libucx-dev) are needed to build it fully.
        /// Only the driver entry and the functions of dmahost_ucx.h (the server, adding a peer) are exported.
        .target(name: "UCXPlugin", dependencies: ["CDMAHostABI"], path: backendPath("UCX", "UCXPlugin"),
                cSettings: [.unsafeFlags(["-fvisibility=hidden"])],
                linkerSettings: pluginLinkerSettings + [.linkedLibrary("pthread"), .linkedLibrary("dl")]),

        // MARK: - Tests

        /// Test support: sanitizer runtime options for the test binaries that link it
        /// (allocator_may_return_null, leak suppressions); unused without a sanitizer.
        .target(name: "SanitizerDefaults", path: "Tests/SanitizerDefaults"),
        /// Test support: reference DSA encodings filled through the kernel's own structs
        /// (linux/idxd.h), for the DSA tests.
        .target(name: "CDSAReference", path: "Tests/CDSAReference"),
        /// Test support: FakeRegistrar, a registration function that records what a
        /// RegistrationCache asks of it, for RegistrationCacheTests and the memory-monitor tests.
        .target(name: "RegistrationCacheTestSupport", dependencies: ["RegistrationCache"], path: "Tests/RegistrationCacheTestSupport"),
        /// Test support: child programs run to completion with both streams captured, and
        /// temporary directories removed when the test process exits.
        .target(name: "ProcessTestSupport", path: "Tests/ProcessTestSupport"),
        /// README.md's layout tables against this manifest's targets, the rule that no module in
        /// Sources/ imports or includes one under Plugins/, and the paths the Markdown files name.
        /// No dependencies: it reads the files of the repository.
        .testTarget(name: "RepositoryLayoutTests"),
        /// The core: creation, callbacks, dispatch, iteration, the system domain, the Swift API,
        /// the exported symbols and the C conformance program (Tests/CConformance).
        .testTarget(name: "DMAHostTests", dependencies: ["DMAHost", "SanitizerDefaults", "DMASync", "SeededRandom", "ProcessTestSupport"]),
        /// DMASync's waiting primitives: Futex outcomes, EventCount without lost wake-ups under
        /// threads, SpinPolicy's poll-then-sleep, Locked's mutual exclusion; and its thread type,
        /// POSIXThread: names, join and detach, start errors, runOnThreads.
        .testTarget(name: "DMASyncTests", dependencies: ["DMASync"]),
        /// The CPU copy engine on its own: copies, fills, back-pressure, concurrency, shutdown.
        .testTarget(name: "CPUCopyEngineTests", dependencies: ["CPUCopyEngine", "CCPUEngineSupport", "DMASync", "SeededRandom"]),
        /// The driver host: loading and every rejection rule, trust of plugin paths, the host C API,
        /// domain ownership, hostile plugins, the plugin-linkage rule, dmactl, the vendor samples.
        .testTarget(
            name: "DriverHostTests",
            dependencies: ["DriverHost", "SeededRandom", "ProcessTestSupport", .product(name: "SystemPackage", package: "swift-system")],
            linkerSettings: pluginHostLinkerSettings
        ),
        /// DMABench's building blocks: sizes, cache sizes, working sets, statistics, the raw baseline.
        .testTarget(name: "DMABenchTests", dependencies: ["DMABench", "DMADriverKit"]),
        /// The CPU plugin end to end through the driver host (dlopen of libdmahost-cpu.so), and the benchmark.
        .testTarget(
            name: "CPUAccelTests",
            dependencies: ["DriverHost", "DMAHost", "DMABench", "CDMAHostABI", "SanitizerDefaults", "SeededRandom", "ProcessTestSupport"],
            linkerSettings: pluginHostLinkerSettings
        ),
        /// The DMA engine backend and DMABuf: discovery against fixture sysfs trees, DSA encodings,
        /// input checks, the plugin ABI and the loader; the …Hardware… suites (udmabuf, dma-heaps,
        /// vgem, a C program of dmahost/dmabuf.h) in the guest, and DSA where a work queue exists.
        .testTarget(
            name: "DMAEngineTests",
            dependencies: ["DMAEngineKit", "DMABuf", "DMASync", "CDMABuf", "CIDXD", "CDSAReference", "DMAHost", "DMADriverKit", "DriverHost",
                           "ProcessTestSupport"]
        ),
        /// The registration cache on its own (pure Swift, through FakeRegistrar): intervals, merge,
        /// references, eviction, invalidation, a random workload against its invariants.
        .testTarget(name: "RegistrationCacheTests", dependencies: ["RegistrationCache", "RegistrationCacheTestSupport", "SeededRandom"]),
        /// Host unit tests (the memory monitor over the cache, planner, status mapping) and the
        /// RDMAHardware… suites (guest). The plugin end to end through the driver host (dlopen of
        /// libdmahost-rdma.so) as well.
        .testTarget(
            name: "RDMAVerbsTests",
            dependencies: ["RDMAVerbsKit", "RegistrationCache", "RegistrationCacheTestSupport", "DMAHost", "DriverHost", "DMABench",
                           "SeededRandom", "DMASync", "DMABuf", "DMADriverKit"],
            linkerSettings: pluginHostLinkerSettings
        ),
        /// The checks of dmahost/iovec.h (their edge cases, through IOVecContract), and every domain
        /// the plugins open answering each bad argument with the documented errno through the C ABI:
        /// system, cpu, vendor samples on any host; rdma and dma-buf (…Hardware… suites) in the guest.
        .testTarget(
            name: "IOVecContractTests",
            dependencies: ["DMAHost", "DriverHost", "DMADriverKit", "DMABuf", "CDMAHostABI"],
            linkerSettings: pluginHostLinkerSettings
        ),
        /// The UCX plugin on loopback, in one process (a server started through the plugin's entry) and
        /// with dmactl serve as a child process: data, scatter-gather, the region's bounds and access,
        /// allocation, unreachable and dying peers. Skipped when libucp is absent.
        .testTarget(
            name: "UCXTests",
            dependencies: ["DriverHost", "DMAHost", "CDMAHostABI", "ProcessTestSupport"],
            linkerSettings: pluginHostLinkerSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
