// swift-tools-version:6.1
// A DMAHost backend plugin in Swift, in a package of its own: the product
// libdmahost-example-swift.so, which dmactl and every program using DMAHost can load.
//
// It depends on DMAHost's plugin kit (the DMADriverKit product) and nothing else of it: a plugin
// never links the core library (libDMAHost.so). Copy this folder, rename the product, the target
// and the driver, and point the dependency at your DMAHost: by path (below), or by URL once
// DMAHost is published, e.g. `.package(url: "https://example.org/dmahost.git", from: "1.0.0")`.

import PackageDescription

/// The DMAHost checkout: `DMAHOST_PACKAGE_PATH` when set, else the tree this template lives in.
let dmahostPath = Context.environment["DMAHOST_PACKAGE_PATH"] ?? "../.."

let package = Package(
    name: "ExamplePlugin",
    products: [
        // A plugin is a dynamic library named libdmahost-<driver name>.so.
        .library(name: "dmahost-example-swift", type: .dynamic, targets: ["ExamplePlugin"]),
    ],
    dependencies: [
        .package(path: dmahostPath),
    ],
    targets: [
        .target(
            name: "ExamplePlugin",
            dependencies: [.product(name: "DMADriverKit", package: packageIdentity(ofPath: dmahostPath))],
            // -Bsymbolic: the plugin's copy of the kit binds to itself, never to a same-named
            // symbol of the program that loads it (libDMAHost.so carries the kit too).
            // -z defs: an undefined symbol fails the build instead of the host's dlopen.
            linkerSettings: [.unsafeFlags(["-Xlinker", "-Bsymbolic", "-Xlinker", "-z", "-Xlinker", "defs"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// SwiftPM names a package added by path after its folder (lower-cased): the last component of
/// the path, `..` and `.` resolved against this package's folder.
func packageIdentity(ofPath path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : Context.packageDirectory + "/" + path
    var components: [Substring] = []
    for component in absolute.split(separator: "/") where component != "." {
        if component == ".." {
            if !components.isEmpty { components.removeLast() }
        } else {
            components.append(component)
        }
    }
    return components.last.map { $0.lowercased() } ?? "dmahost"
}
