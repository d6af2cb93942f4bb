/// A configuration variable a driver reads from the environment (`struct
/// dmahost_config_variable` of dmahost/driver.h, ABI 1.2): what `dmactl env` lists.
///
/// A Swift plugin declares its variables through ``DMADeviceDriver/configVariables``; the host
/// reads those of every plugin (C plugins: `dmahost_driver_ops.config_variables`).
public struct DMAConfigVariable: Hashable, Sendable {
    /// Longest name accepted, in bytes.
    public static let maximumNameLength = 128
    /// Most variables one driver may declare.
    public static let maximumCount = 64

    /// The variable's name, e.g. "DMAHOST_CPU_WORKERS" (see ``nameProblem(_:)``).
    public var name: String
    /// The value in effect when the variable is unset, as it would be written; nil when it is
    /// computed at run time (``doc`` says how).
    public var defaultValue: String?
    /// What the variable does and which values it takes.
    public var doc: String

    /// A variable named `name`, with its default and its documentation.
    public init(name: String, defaultValue: String?, doc: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.doc = doc
    }

    /// Why `name` is not a valid variable name (1 to 128 characters among A-Z, 0-9 and `_`,
    /// starting with a letter); nil when it is.
    public static func nameProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let valid = (1...maximumNameLength).contains(bytes.count) && (0x41...0x5A).contains(bytes[0])
            && bytes.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        return valid ? nil : "variable name '\(name)' is invalid: use 1 to \(maximumNameLength) characters among A-Z 0-9 _, starting with a letter"
    }
}
