import DMAHost

/// Where the host found a candidate plugin file.
public enum PluginSource: String, Sendable, Hashable, CustomStringConvertible {
    /// Given explicitly (a path or `--driver-dir`).
    case explicit
    /// Listed in `DMAHOST_DRIVER_PATH`.
    case environment
    /// The installed-plugins directory next to `libDMAHost.so` or the executable.
    case installed

    /// The raw value: "explicit", "environment" or "installed".
    public var description: String { rawValue }
}

/// A file the host considered loading, in search order.
public struct PluginCandidate: Sendable, Hashable {
    /// Path as found (absolute when the search produced it from a directory).
    public var path: String
    /// Where it was found.
    public var source: PluginSource

    /// Creates a candidate.
    public init(path: String, source: PluginSource) {
        self.path = path
        self.source = source
    }
}

/// Why a candidate plugin was not loaded. The host keeps every rejection (see
/// ``DriverHost/rejections``) so that `dmactl doctor` can explain it.
public struct PluginRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, for programs; ``reason`` is for people.
    public enum Kind: String, Sendable, Hashable {
        /// The path does not exist, is not readable or is a directory with nothing to load.
        case unreadable
        /// Not an ELF shared object for this machine.
        case notSharedObject
        /// `dlopen` failed: a missing dependency library or an undefined symbol.
        case loadFailed
        /// The file does not export `dmahost_driver_entry`.
        case missingEntry
        /// The entry returned NULL (the plugin refused to load).
        case entryReturnedNull
        /// The plugin was built for another major ABI version.
        case abiMismatch
        /// The ops table is smaller than its ABI version requires.
        case tableTooSmall
        /// The ops table or a device record holds invalid values (NULL, non-UTF-8, bad counts).
        case invalidTable
        /// A device type outside what the plugin may serve.
        case invalidDeviceType
        /// Another loaded plugin has the same name (or the same file was already loaded).
        case duplicateName
        /// A device id already provided (by this or another plugin).
        case duplicateDevice
        /// A device id not of the form "<driver name>:<device>".
        case invalidDeviceID
        /// `probe` returned an error.
        case probeFailed
    }

    /// The file.
    public var candidate: PluginCandidate
    /// The kind of problem.
    public var kind: Kind
    /// What went wrong and what to do about it.
    public var reason: String
    /// The plugin's name when its table could be read that far.
    public var driverName: String?
    /// What the plugin's own `diagnose` reported before it was rejected (may be empty).
    public var diagnostics: [DriverDiagnostic]

    /// Creates a rejection.
    public init(candidate: PluginCandidate, kind: Kind, reason: String, driverName: String? = nil,
                diagnostics: [DriverDiagnostic] = []) {
        self.candidate = candidate
        self.kind = kind
        self.reason = reason
        self.driverName = driverName
        self.diagnostics = diagnostics
    }

    /// One line: path, kind and reason.
    public var description: String { "\(candidate.path): rejected (\(kind.rawValue)): \(reason)" }
}
