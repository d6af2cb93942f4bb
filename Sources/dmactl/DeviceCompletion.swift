import ArgumentParser
import DriverHost
import Logging

/// Shell completion of device ids: the shell runs dmactl to complete a word, and dmactl loads the
/// plugins the command line names so far (`--driver-dir`, `--no-default-drivers`, else the
/// standard search), silently, and offers their device ids.
enum DeviceCompletion {
    /// Device ids (and `system`, where the option takes it).
    static func ids(includingSystem: Bool) -> CompletionKind {
        .custom { arguments, _, prefix in candidates(arguments: arguments, prefix: prefix, includingSystem: includingSystem) }
    }

    /// The ids to offer for `prefix`. In a comma-separated selection (`cpu:0,vend`) each id comes
    /// after the items already written.
    static func candidates(arguments: [String], prefix: String, includingSystem: Bool) -> [String] {
        var directories: [String] = []
        var noDefaultDrivers = false
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--driver-dir", index + 1 < arguments.count {
                directories.append(arguments[index + 1])
                index += 1
            } else if word.hasPrefix("--driver-dir=") {
                directories.append(String(word.dropFirst("--driver-dir=".count)))
            } else if word == "--no-default-drivers" {
                noDefaultDrivers = true
            }
            index += 1
        }
        let host = DriverHost(logger: Logger(label: "dmactl", factory: { _ in SwiftLogNoOpLogHandler() }))
        let search = noDefaultDrivers ? DriverSearch(explicit: directories)
                                      : DriverSearch.standard(explicit: directories, execution: host.execution)
        _ = host.load(search)
        let ids = (includingSystem ? ["system"] : []) + host.devices.map(\.id)
        let written = prefix.lastIndex(of: ",").map { String(prefix[...$0]) } ?? ""
        return ids.map { written + $0 }
    }
}
