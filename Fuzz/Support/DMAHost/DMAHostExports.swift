// Stands in for the module DMAHost in the fuzz builds: the DriverHost files under test write
// `import DMAHost` for what it re-exports, DMADriverKit (the same line as in
// Sources/DMAHost/Exports.swift), so they compile without the core's registry and C ABI.
@_exported import DMADriverKit
