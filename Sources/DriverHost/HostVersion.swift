import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The versions a DMAHost build carries: the library's own (`DMAHOST_VERSION_*` in
/// dmahost/host.h, the one place it is defined) and the plugin ABI's (`DMAHOST_DRIVER_ABI_*` in
/// dmahost/driver.h). `dmactl --version` and `dmahost_version()` report them.
public enum HostVersion {
    /// The library version, "major.minor.patch".
    public static let library = "\(DMAHOST_VERSION_MAJOR).\(DMAHOST_VERSION_MINOR).\(DMAHOST_VERSION_PATCH)"
    /// Major version of the plugin ABI this host loads (a plugin of another major is rejected).
    public static let driverABIMajor = Int(DMAHOST_DRIVER_ABI_MAJOR)
    /// Minor version of the plugin ABI this host knows: it reads the fields of every minor up to this one.
    public static let driverABIMinor = Int(DMAHOST_DRIVER_ABI_MINOR)
    /// The plugin ABI version, "major.minor".
    public static let driverABI = "\(driverABIMajor).\(driverABIMinor)"
}

// nonisolated(unsafe): written once by its initialiser, never afterwards; only read (a C string
// handed out by dmahost_version, valid for the life of the process).
nonisolated(unsafe) private let libraryVersionCString: UnsafeMutablePointer<CChar>? = strdup(HostVersion.library)

/// C ABI export of `dmahost_version`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_version")
public func dmahost_version_export() -> UnsafePointer<CChar>? {
    if let copy = libraryVersionCString { return UnsafePointer(copy) }
    // Only when the one allocation failed: a static string, so that the result is never NULL.
    let fallback: StaticString = "unknown"
    return UnsafeRawPointer(fallback.utf8Start).assumingMemoryBound(to: CChar.self)
}
