internal import CDriverHostSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the host looks for plugins, in order:
/// 1. explicit paths (files or directories, e.g. from `dmactl --driver-dir`),
/// 2. `DMAHOST_DRIVER_PATH`, a colon-separated list of files or directories,
/// 3. the installed-plugins directory: the directory of the image that holds the host
///    (`libDMAHost.so`, or the executable that links the host statically), and its
///    `dmahost/` subdirectory when present.
///
/// In a directory, plugins are the files named `libdmahost-*.so`; a file given by path may
/// have any name. A file reachable from two places is a single candidate (the first one).
public struct DriverSearch: Sendable, Hashable {
    /// The environment variable that lists extra plugin files and directories.
    public static let environmentVariable = "DMAHOST_DRIVER_PATH"
    /// File-name prefix of plugins found in directories.
    public static let filePrefix = "libdmahost-"
    /// File-name suffix of plugins found in directories.
    public static let fileSuffix = ".so"

    /// Explicit files or directories, searched first.
    public var explicit: [String]
    /// The value of `DMAHOST_DRIVER_PATH` to use (nil: none).
    public var environmentPath: String?
    /// Installed-plugins directories, searched last.
    public var installedDirectories: [String]

    /// A search with explicit entries only.
    public init(explicit: [String], environmentPath: String? = nil, installedDirectories: [String] = []) {
        self.explicit = explicit
        self.environmentPath = environmentPath
        self.installedDirectories = installedDirectories
    }

    /// The default search: `explicit`, then the process's `DMAHOST_DRIVER_PATH`, then the
    /// installed-plugins directories.
    public static func standard(explicit: [String] = []) -> DriverSearch {
        let environment = getenv(environmentVariable).map { String(cString: $0) }
        return DriverSearch(explicit: explicit, environmentPath: environment, installedDirectories: installedPluginDirectories())
    }

    /// The directory of the image that contains this code (found with `dladdr(3)` on
    /// `#dsohandle`; `/proc/self/exe` when that is the main program), and its `dmahost/`
    /// subdirectory when it exists.
    public static func installedPluginDirectories() -> [String] {
        var image: String?
        if let name = dmahost_image_path_containing(#dsohandle) {
            let path = String(cString: name)
            if path.contains("/") { image = FileSystem.canonical(path) }
        }
        if image == nil { image = FileSystem.canonical("/proc/self/exe") }
        guard let image else { return [] }
        let directory = FileSystem.directoryName(of: image)
        var result = [directory]
        let nested = FileSystem.join(directory, "dmahost")
        if FileSystem.kind(of: nested) == .directory { result.append(nested) }
        return result
    }

    /// True for file names of the form `libdmahost-*.so`.
    public static func isPluginFileName(_ name: String) -> Bool {
        name.hasPrefix(filePrefix) && name.hasSuffix(fileSuffix) && name.count > filePrefix.count + fileSuffix.count
    }

    /// Expands the search into candidate files. Paths that cannot be used at all (missing,
    /// unreadable directory, explicit directory with no plugin) become rejections.
    public func candidates() -> (candidates: [PluginCandidate], problems: [PluginRejection]) {
        var result: [PluginCandidate] = []
        var problems: [PluginRejection] = []
        var seen = Set<String>()

        func add(_ path: String, _ source: PluginSource) {
            let key = FileSystem.canonical(path) ?? path
            if seen.insert(key).inserted { result.append(PluginCandidate(path: path, source: source)) }
        }

        func expand(_ entry: String, _ source: PluginSource, reportEmpty: Bool) {
            let candidate = PluginCandidate(path: entry, source: source)
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

        for entry in explicit { expand(entry, .explicit, reportEmpty: true) }
        for entry in (environmentPath ?? "").split(separator: ":").map(String.init) where !entry.isEmpty {
            expand(entry, .environment, reportEmpty: true)
        }
        for directory in installedDirectories where FileSystem.kind(of: directory) == .directory {
            expand(directory, .installed, reportEmpty: false)
        }
        return (result, problems)
    }
}
