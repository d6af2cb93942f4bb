internal import CDriverHostSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Who the process runs as, and therefore what the loader may take from its caller.
///
/// A process is in *secure-execution mode* when it runs with privileges the user who started it
/// does not have: the kernel set `AT_SECURE` (a set-user-ID or set-group-ID program, or one that
/// gained capabilities at exec), or its real and effective user or group ids differ. That user
/// chose the environment and the arguments, so — as glibc does with `LD_LIBRARY_PATH` — the
/// loader then:
/// - ignores every environment variable it reads for loading (``loaderVariables``);
/// - refuses plugin paths chosen by the caller (`dmactl --driver-dir`, `dmahost_load_path`,
///   ``DriverHost/load(paths:)``) unless the real user is root;
/// - searches only the installed-plugins directory, under the rule of ``PluginTrust``, whose
///   development override it never honours.
///
/// The host reads the process's context once, with ``current()``; tests build one directly.
public struct ExecutionContext: Sendable, Hashable {
    /// Colon-separated plugin files and directories, searched after the explicit ones.
    public static let driverPathVariable = "DMAHOST_DRIVER_PATH"
    /// `1` loads plugins that fail the ownership and permission rule (development only).
    public static let allowInsecurePluginsVariable = "DMAHOST_ALLOW_INSECURE_PLUGINS"
    /// Every environment variable the host reads for loading.
    public static let loaderVariables = [driverPathVariable, allowInsecurePluginsVariable]

    /// The kernel started the program in secure-execution mode (`getauxval(AT_SECURE)`).
    public var kernelSecureExecution: Bool
    /// Real user id (`getuid`): who started the process.
    public var realUserID: UInt32
    /// Effective user id (`geteuid`): whose privileges it has.
    public var effectiveUserID: UInt32
    /// Real group id (`getgid`).
    public var realGroupID: UInt32
    /// Effective group id (`getegid`).
    public var effectiveGroupID: UInt32
    /// The loader's variables that are set, with their values, whether or not they are honoured.
    public var environment: [String: String]

    /// Creates a context (tests; the host uses ``current()``).
    public init(kernelSecureExecution: Bool = false, realUserID: UInt32, effectiveUserID: UInt32,
                realGroupID: UInt32 = 0, effectiveGroupID: UInt32 = 0, environment: [String: String] = [:]) {
        self.kernelSecureExecution = kernelSecureExecution
        self.realUserID = realUserID
        self.effectiveUserID = effectiveUserID
        self.realGroupID = realGroupID
        self.effectiveGroupID = effectiveGroupID
        self.environment = environment
    }

    /// This process: `getauxval(AT_SECURE)`, `getuid`, `geteuid`, `getgid`, `getegid`, and the
    /// loader's variables from `getenv`.
    public static func current() -> ExecutionContext {
        var environment: [String: String] = [:]
        for name in loaderVariables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return ExecutionContext(kernelSecureExecution: dmahost_secure_execution() != 0,
                                realUserID: getuid(), effectiveUserID: geteuid(),
                                realGroupID: getgid(), effectiveGroupID: getegid(), environment: environment)
    }

    /// True in secure-execution mode (see the type's description).
    public var isSecure: Bool {
        kernelSecureExecution || realUserID != effectiveUserID || realGroupID != effectiveGroupID
    }

    /// The value of one of the loader's variables, or nil when it is unset or the process is in
    /// secure-execution mode.
    public func value(of variable: String) -> String? {
        isSecure ? nil : environment[variable]
    }

    /// The loader's variables that are set but ignored (secure-execution mode), in
    /// ``loaderVariables`` order.
    public var ignoredVariables: [String] {
        isSecure ? Self.loaderVariables.filter { environment[$0] != nil } : []
    }

    /// True when `DMAHOST_ALLOW_INSECURE_PLUGINS=1` is honoured (never in secure-execution mode).
    public var allowsInsecurePlugins: Bool {
        value(of: Self.allowInsecurePluginsVariable) == "1"
    }

    /// True when the caller may name plugin files and directories: always, except in
    /// secure-execution mode for a real user other than root.
    public var mayChoosePluginPaths: Bool {
        !isSecure || realUserID == 0
    }

    /// The owners a plugin and the directories on its path may have: root and the effective user.
    public var trustedOwners: Set<UInt32> { [0, effectiveUserID] }

    /// Why the process is in secure-execution mode, e.g. "it runs set-user-ID (real uid 65534,
    /// effective uid 0)"; empty when it is not.
    public var secureExecutionReason: String {
        if realUserID != effectiveUserID {
            return "it runs set-user-ID (real uid \(realUserID), effective uid \(effectiveUserID))"
        }
        if realGroupID != effectiveGroupID {
            return "it runs set-group-ID (real gid \(realGroupID), effective gid \(effectiveGroupID))"
        }
        if kernelSecureExecution {
            return "the kernel started it in secure-execution mode (AT_SECURE: capabilities gained at exec)"
        }
        return ""
    }

    /// Why caller-chosen plugin paths are refused, or nil when they are allowed.
    public var pluginPathRefusal: String? {
        guard !mayChoosePluginPaths else { return nil }
        return "plugin paths chosen by the caller are refused: this process runs with privileges its user does not have "
            + "(\(secureExecutionReason)), and only a real user of root may choose the code it loads; "
            + "install the plugin in the installed-plugins directory instead (owned by root, not writable by group or others)"
    }
}
