import DMAHost

extension ExecutionContext {
    /// The variables the driver host itself reads (``loaderVariables``), documented as `dmactl
    /// env` lists them beside the plugins' own.
    public static let loaderVariableDocs: [DMAConfigVariable] = [
        DMAConfigVariable(
            name: driverPathVariable, defaultValue: "",
            doc: "Colon-separated absolute paths of plugin files or directories, searched after --driver-dir and before the "
                + "installed directory. Ignored in secure-execution mode."),
        DMAConfigVariable(
            name: allowInsecurePluginsVariable, defaultValue: "0",
            doc: "1 loads plugins that fail the ownership and permission rule, each waived problem logged (development only). "
                + "Ignored in secure-execution mode."),
    ]
}
