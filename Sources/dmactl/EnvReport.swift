import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The `env` document, and its text.
struct EnvReport: Encodable {
    /// One variable: who reads it, its value here, its default and what it does.
    struct Variable: Encodable {
        let name: String
        /// host (the driver host) or driver.
        let scope: String
        /// The driver that reads it; null for the host's.
        @Nullable var driver: String?
        /// True when this process's environment sets it.
        let set: Bool
        /// The value in this process's environment; null when unset.
        @Nullable var value: String?
        /// The value in effect when unset; null when computed at run time (see doc).
        @Nullable var defaultValue: String?
        let doc: String
        /// Why the host ignores it in this process (secure-execution mode); null when it does not.
        @Nullable var ignoredBecause: String?

        init(_ variable: DMAConfigVariable, driver: String?, ignoredBecause: String?) {
            name = variable.name
            scope = driver == nil ? "host" : "driver"
            self.driver = driver
            let current = getenv(variable.name).map { String(cString: $0) }
            set = current != nil
            value = current
            defaultValue = variable.defaultValue
            doc = variable.doc
            self.ignoredBecause = current == nil ? nil : ignoredBecause
        }
    }

    let variables: [Variable]
    /// The loaded drivers, also those that declare no variables.
    let drivers: [String]

    /// One section per reader: the host, then each driver.
    var text: [String] {
        var lines: [String] = []
        for reader in [nil] + drivers.map(Optional.some) {
            let own = variables.filter { $0.driver == reader }
            lines.append(reader.map { "Driver \($0) (\(own.count) variables)" } ?? "Host (\(own.count) variables)")
            if own.isEmpty { lines.append("  (declares none)") }
            for variable in own {
                let value = variable.value.map { "= '\($0)'" + (variable.ignoredBecause.map { " (ignored: \($0))" } ?? "") } ?? "(not set)"
                lines.append("  \(variable.name) \(value)")
                lines.append("      default: \(variable.defaultValue.map { "'\($0)'" } ?? "computed, see below")")
                lines.append("      \(variable.doc)")
            }
        }
        return lines
    }
}
