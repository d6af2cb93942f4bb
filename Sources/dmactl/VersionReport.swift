import DriverHost

/// `dmactl --version`: the versions of the tool, the library and the plugin ABI. dmactl is
/// released with the library, so both carry the library's version (`DMAHOST_VERSION_*`).
struct VersionReport: Encodable {
    /// The plugin ABI of dmahost/driver.h.
    struct ABI: Encodable {
        let major: Int
        let minor: Int
    }

    let dmactlVersion = HostVersion.library
    let libraryVersion = dmahost_version_export().map { String(cString: $0) } ?? "unknown"
    let driverAbi = ABI(major: HostVersion.driverABIMajor, minor: HostVersion.driverABIMinor)
    let jsonSchemaVersion = JSONOutput.schemaVersion

    /// "dmactl 1.1.0 (library 1.1.0, plugin ABI 1.3, JSON schema 1)".
    var text: String {
        "dmactl \(dmactlVersion) (library \(libraryVersion), plugin ABI \(driverAbi.major).\(driverAbi.minor), JSON schema \(jsonSchemaVersion))"
    }
}
