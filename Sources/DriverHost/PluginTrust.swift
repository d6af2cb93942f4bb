import SystemPackage

/// The ownership and permission rule a plugin file and every directory on its path must meet
/// before the host maps it as code.
///
/// Whoever can replace a plugin, or rename a directory on the way to it, chooses code that runs
/// with the privileges of the process that loads it. So, on the canonical path of the file:
/// - the plugin is owned by root or by the effective user and is not writable by group or others;
/// - so is the directory that holds it; a sticky bit does not make it acceptable, since anyone
///   could add files there and a directory is searched for every `libdmahost-*.so`;
/// - every directory above it, up to `/`, is owned by root or the effective user and is not
///   writable by group or others unless it has the sticky bit (like `/tmp`: others may add
///   entries there but cannot rename or remove ours, and the next directory down is checked in
///   turn).
///
/// `DMAHOST_ALLOW_INSECURE_PLUGINS=1` waives the rule for development: the problems are logged
/// and kept on the loaded driver (``LoadedDriver/waivedTrustProblems``). It is never honoured in
/// secure-execution mode (see ``ExecutionContext``).
struct PluginTrust: Sendable {
    /// What a checked path is on the way to the plugin.
    enum Role {
        /// The plugin file itself.
        case plugin
        /// The directory that holds the plugin.
        case holdingDirectory
        /// A directory above that one.
        case ancestor
    }

    /// Owners a trusted file or directory may have.
    let trustedOwners: Set<UInt32>
    /// The effective user, for the `chown` advice.
    let effectiveUserID: UInt32
    /// The rule is waived (`DMAHOST_ALLOW_INSECURE_PLUGINS=1`, not in secure-execution mode).
    let waived: Bool
    /// The process is in secure-execution mode (the advice says the override is not honoured).
    let secure: Bool

    /// The rule for this process.
    init(_ execution: ExecutionContext) {
        trustedOwners = execution.trustedOwners
        effectiveUserID = execution.effectiveUserID
        waived = execution.allowsInsecurePlugins
        secure = execution.isSecure
    }

    /// What is wrong with one file or directory on the way, with the command that fixes it;
    /// nil when it meets the rule.
    func problem(_ path: String, _ status: Stat, _ role: Role) -> String? {
        let noun = role == .plugin ? "the plugin" : "the directory"
        var problems: [String] = []
        let owner = UInt32(status.userID.rawValue)
        if !trustedOwners.contains(owner) {
            let alternative = effectiveUserID == 0 ? "" : " (or chown \(effectiveUserID) \(path))"
            problems.append("\(noun) \(path) is owned by uid \(owner), neither root nor the user loading plugins "
                            + "(uid \(effectiveUserID)): chown root \(path)\(alternative)")
        }
        let permissions = status.permissions
        let group = permissions.contains(.groupWrite), others = permissions.contains(.otherWrite)
        let sticky = permissions.contains(.saveText)
        if (group || others) && !(role == .ancestor && sticky) {
            let who = group && others ? "group and others" : group ? "its group" : "others"
            let mode = "0" + String(permissions.rawValue & 0o7777, radix: 8)
            problems.append("\(noun) \(path) is writable by \(who) (mode \(mode)), who could replace "
                            + "\(role == .plugin ? "it" : "what it holds"): chmod go-w \(path)")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// The sentence that ends an untrusted-plugin rejection: the development override, or why
    /// it does not apply.
    var advice: String {
        secure ? "\(ExecutionContext.allowInsecurePluginsVariable) is not honoured in a secure-execution process"
               : "for development only, \(ExecutionContext.allowInsecurePluginsVariable)=1 loads it anyway"
    }
}
