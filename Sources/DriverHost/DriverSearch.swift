internal import CDriverHostSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the host looks for plugins, in order:
/// 1. explicit paths (files or directories, e.g. from `dmactl --driver-dir`),
/// 2. `DMAHOST_DRIVER_PATH`, a colon-separated list of files or directories,
/// 3. the installed-plugins directories: the directory of the image that holds the host
///    (`libDMAHost.so`, or the executable that links the host statically, such as `dmactl`),
///    its `dmahost/` subdirectory, and `../lib/dmahost` relative to it, those that exist. In an
///    installed tree (`PREFIX/bin/dmactl`, `PREFIX/lib/libDMAHost.so.1`) both find
///    `PREFIX/lib/dmahost`; in a SwiftPM build directory, the directory itself.
///
/// In a directory, plugins are the files named `libdmahost-*.so`; a file given by path may
/// have any name. The same path met twice is one candidate (the first); another path to the
/// same file (a symbolic or hard link, another directory) is a second candidate, which the
/// host rejects as ``PluginRejection/Kind/duplicateFile``.
///
/// Paths: an explicit relative path (a bare file name too) is taken from the current
/// directory. An entry of `DMAHOST_DRIVER_PATH` must be absolute: a relative one is refused,
/// since it would mean a different file in every directory a program happens to run in.
/// Every candidate carries its canonical absolute path (``PluginCandidate/realPath``), which is
/// what the host checks and hands to `dlopen`, so the dynamic linker never searches its own
/// path list for a plugin.
///
/// In secure-execution mode (``ExecutionContext``) `DMAHOST_DRIVER_PATH` is ignored and explicit
/// paths are refused unless the real user is root; each becomes a ``PluginRejection/Kind/refused``
/// rejection that says why.
public struct DriverSearch: Sendable, Hashable {
    /// The environment variable that lists extra plugin files and directories.
    public static let environmentVariable = ExecutionContext.driverPathVariable
    /// File-name prefix of plugins found in directories.
    public static let filePrefix = "libdmahost-"
    /// File-name suffix of plugins found in directories.
    public static let fileSuffix = ".so"

    /// Explicit files or directories, searched first.
    public var explicit: [String]
    /// The value of `DMAHOST_DRIVER_PATH` to use (nil: none).
    public var environmentPath: String?
    /// The value of `DMAHOST_DRIVER_PATH` that was set but is ignored because the process is in
    /// secure-execution mode (reported as a rejection).
    public var ignoredEnvironmentPath: String?
    /// Installed-plugins directories, searched last.
    public var installedDirectories: [String]

    /// A search with explicit entries only (by default).
    public init(explicit: [String], environmentPath: String? = nil, installedDirectories: [String] = [],
                ignoredEnvironmentPath: String? = nil) {
        self.explicit = explicit
        self.environmentPath = environmentPath
        self.installedDirectories = installedDirectories
        self.ignoredEnvironmentPath = ignoredEnvironmentPath
    }

    /// The default search: `explicit`, then `DMAHOST_DRIVER_PATH` of `execution` (ignored in
    /// secure-execution mode), then the installed-plugins directories.
    public static func standard(explicit: [String] = [], execution: ExecutionContext = .current()) -> DriverSearch {
        DriverSearch(explicit: explicit, environmentPath: execution.value(of: environmentVariable),
                     installedDirectories: installedPluginDirectories(),
                     ignoredEnvironmentPath: execution.isSecure ? execution.environment[environmentVariable] : nil)
    }

    /// The installed-plugins directories of the image that contains this code (found with
    /// `dladdr1(3)` on `#dsohandle`; `/proc/self/exe` when that is the main program, never
    /// `argv[0]`): see ``installedPluginDirectories(forImage:)``.
    public static func installedPluginDirectories() -> [String] {
        var image: String?
        if let name = dmahost_image_path_containing(#dsohandle) {
            let path = String(cString: name)
            if path.contains("/") { image = FileSystem.canonical(path) }
        }
        if image == nil { image = FileSystem.canonical("/proc/self/exe") }
        guard let image else { return [] }
        return installedPluginDirectories(forImage: image)
    }

    /// The subdirectory of an image's directory that holds plugins (`PREFIX/lib/dmahost` beside
    /// `PREFIX/lib/libDMAHost.so.1`).
    public static let pluginSubdirectory = "dmahost"
    /// The plugins directory relative to a program's directory (`PREFIX/bin` → `PREFIX/lib/dmahost`).
    public static let pluginDirectoryFromPrograms = "../lib/dmahost"

    /// The installed-plugins directories of the image at `image`, in search order: the image's
    /// directory, its ``pluginSubdirectory``, and ``pluginDirectoryFromPrograms`` relative to it.
    /// The first is always listed; the others only when they are directories, as canonical
    /// paths, each directory once.
    /// - Parameter image: Absolute path of the library or program that holds the host.
    public static func installedPluginDirectories(forImage image: String) -> [String] {
        let directory = FileSystem.directoryName(of: image)
        var result = [directory]
        for relative in [pluginSubdirectory, pluginDirectoryFromPrograms] {
            let candidate = FileSystem.join(directory, relative)
            guard FileSystem.kind(of: candidate) == .directory, let canonical = FileSystem.canonical(candidate),
                  !result.contains(canonical) else { continue }
            result.append(canonical)
        }
        return result
    }

    /// True for file names of the form `libdmahost-*.so`.
    public static func isPluginFileName(_ name: String) -> Bool {
        name.hasPrefix(filePrefix) && name.hasSuffix(fileSuffix) && name.count > filePrefix.count + fileSuffix.count
    }

    /// Expands the search into candidate files. Paths that cannot be used at all (missing,
    /// unreadable directory, explicit directory with no plugin, relative `DMAHOST_DRIVER_PATH`
    /// entry) and what `execution` refuses become rejections.
    /// - Parameter execution: Decides what the caller and the environment may choose.
    public func candidates(in execution: ExecutionContext = .current()) -> (candidates: [PluginCandidate], problems: [PluginRejection]) {
        var result: [PluginCandidate] = []
        var problems: [PluginRejection] = []
        var seen = Set<String>()
        // The last installed directory is the most specific one (PREFIX/lib/dmahost when installed).
        let installHint = installedDirectories.last.map { "install plugins in \($0)" } ?? "install plugins in the installed-plugins directory"

        func add(_ path: String, _ source: PluginSource) {
            guard seen.insert(FileSystem.absolute(path)).inserted else { return }
            result.append(PluginCandidate(path: path, source: source, realPath: FileSystem.canonical(path) ?? FileSystem.absolute(path)))
        }

        func refuse(_ entry: String, _ source: PluginSource, _ reason: String) {
            problems.append(PluginRejection(candidate: PluginCandidate(path: entry, source: source), kind: .refused, reason: reason))
        }

        func expand(_ entry: String, _ source: PluginSource, reportEmpty: Bool) {
            let candidate = PluginCandidate(path: entry, source: source, realPath: FileSystem.canonical(entry))
            switch FileSystem.kind(of: entry) {
            case .file:
                add(entry, source)
            case .directory:
                do throws(FileSystemError) {
                    let plugins = try FileSystem.entries(of: entry).filter(Self.isPluginFileName)
                    if plugins.isEmpty && reportEmpty {
                        problems.append(PluginRejection(candidate: candidate, kind: .unreadable,
                            reason: "directory has no plugin files (\(Self.filePrefix)*\(Self.fileSuffix))"))
                    }
                    for name in plugins { add(FileSystem.join(entry, name), source) }
                } catch {
                    problems.append(PluginRejection(candidate: candidate, kind: .unreadable,
                        reason: "cannot list the directory: \(error.message)"))
                }
            case .other:
                problems.append(PluginRejection(candidate: candidate, kind: .unreadable,
                    reason: "neither a regular file nor a directory"))
            case .missing(let why):
                problems.append(PluginRejection(candidate: candidate, kind: .unreadable,
                    reason: "\(why); check the path given by \(source == .environment ? Self.environmentVariable : "--driver-dir or the caller")"))
            }
        }

        for entry in explicit {
            if let refusal = execution.pluginPathRefusal {
                refuse(entry, .explicit, refusal)
            } else {
                expand(entry, .explicit, reportEmpty: true)
            }
        }
        if execution.isSecure, let ignored = environmentPath ?? ignoredEnvironmentPath {
            refuse(ignored, .environment,
                   "\(Self.environmentVariable) is ignored: this process runs with privileges its user does not have "
                   + "(\(execution.secureExecutionReason)), and that user chose its environment; "
                   + "\(installHint) (owned by root, not writable by group or others)")
        } else {
            for entry in (environmentPath ?? "").split(separator: ":").map(String.init) where !entry.isEmpty {
                if entry.hasPrefix("/") {
                    expand(entry, .environment, reportEmpty: true)
                } else {
                    refuse(entry, .environment,
                           "\(Self.environmentVariable) entries must be absolute paths: a relative one would name a different "
                           + "file in every directory a program runs in; write \(FileSystem.absolute(entry)) if that is the one meant")
                }
            }
        }
        for directory in installedDirectories where FileSystem.kind(of: directory) == .directory {
            expand(directory, .installed, reportEmpty: false)
        }
        return (result, problems)
    }
}
