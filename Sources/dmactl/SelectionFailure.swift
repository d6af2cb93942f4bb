import DMAHost
import DriverHost

extension Failure {
    /// No plugin loaded (status 4).
    static let noDrivers = Failure(.noDrivers, "no driver could be loaded; `dmactl doctor` says why")

    /// Why `selection` selected nothing: no driver at all (4), else the selector's own error
    /// (3 for an unknown id, with the closest ones; 2 for a malformed selection).
    static func selection(_ error: DMAError, _ selection: String, host: DriverHost, note: String = "") -> Failure {
        host.drivers.isEmpty ? .noDrivers : Failure(error, context: "selection '\(selection)'\(note)")
    }
}

extension DriverHost {
    /// The one device `selection` selects.
    /// - Throws: ``Failure/selection(_:_:host:note:)``'s failures, or a usage failure (2) when the
    ///   selection matches several devices; `command` is named in it.
    func oneDevice(_ selection: String, for command: String) throws(Failure) -> HostedDevice {
        let devices: [HostedDevice]
        do throws(DMAError) {
            devices = try select(selection)
        } catch {
            throw .selection(error, selection, host: self)
        }
        guard devices.count == 1, let device = devices.first else {
            throw Failure(.usage, "selection '\(selection)' selects \(devices.count) devices (\(devices.map(\.id).joined(separator: ", "))); "
                          + "\(command) needs exactly one")
        }
        return device
    }
}

/// Prints a command's result in the format asked for, then ends with `failure` when there is
/// one: as the document's `error` with `--format json`, after the text otherwise.
func finish<Body: Encodable>(_ body: Body, command: String, format: OutputFormat, failure: Failure?, text: () -> Void) throws(Failure) {
    if format == .json {
        JSONOutput.emit(body, command: command, failure: failure)
        if let failure { throw failure.alreadyReported }
    } else {
        text()
        if let failure { throw failure }
    }
}
