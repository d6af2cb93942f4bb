// swift-tools-version:6.1
// A Swift program in a package of its own that depends on DMAHost, as README's "Using DMAHost
// from Swift" describes: Tests/Install/run.sh places it beside a link named DMAHost to the
// checkout, builds a plugin product of the dependency (`swift build --product
// dmahost-vendor-c`) and this program, and runs it.

import PackageDescription

let package = Package(
    name: "ListDevices",
    dependencies: [.package(path: "../DMAHost")],
    targets: [
        .executableTarget(name: "ListDevices", dependencies: [.product(name: "DMAHost", package: "DMAHost")]),
    ],
    swiftLanguageModes: [.v6]
)
