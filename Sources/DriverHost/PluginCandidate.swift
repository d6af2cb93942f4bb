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
    /// Path as found: as given (an explicit path, an entry of `DMAHOST_DRIVER_PATH`) or joined
    /// from the directory it was found in.
    public var path: String
    /// Where it was found.
    public var source: PluginSource
    /// The canonical absolute path (`realpath(3)`: symbolic links, `.` and `..` resolved, a
    /// relative path taken from the current directory): the file the host checks, loads and
    /// reports for a loaded driver. ``DriverSearch`` sets it (to the path made absolute when the
    /// file cannot be resolved, which then fails to open); it defaults to ``path``.
    public var realPath: String

    /// Creates a candidate; `realPath` defaults to `path`.
    public init(path: String, source: PluginSource, realPath: String? = nil) {
        self.path = path
        self.source = source
        self.realPath = realPath ?? path
    }
}

/// Why a candidate plugin was not loaded. The host keeps every rejection (see
/// ``DriverHost/rejections``) so that `dmactl doctor` can explain it.
public struct PluginRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, for programs; ``reason`` is for people.
    public enum Kind: String, Sendable, Hashable {
        /// The path does not exist, is not readable or is a directory with nothing to load.
        case unreadable
        /// Not taken as given: a relative `DMAHOST_DRIVER_PATH` entry, or in secure-execution
        /// mode the environment and paths chosen by a caller who is not root (``ExecutionContext``).
        case refused
        /// The file, or a directory on its path, is owned by another user or writable by group
        /// or others (``PluginTrust``).
        case untrusted
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
        /// Another loaded plugin has the same name.
        case duplicateName
        /// The same file (device and inode) as a candidate this host already loaded or rejected,
        /// reached by another path: a hard link, a symbolic link, another directory. Its entry
        /// is not called again.
        case duplicateFile
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
