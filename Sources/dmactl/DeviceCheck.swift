import DMAHost
import DriverHost

/// `doctor`'s check of one device: it opens, it provides at least one memory domain, it closes.
struct DeviceCheck: Sendable {
    var id: String
    /// The ids of the domains it provided ("(no id)" for a domain without one).
    var domains: [String]
    /// Why the check failed; nil when it passed.
    var error: String?
    /// Completion faults counted against the device's domains in this process so far.
    var faults: CompletionFaultCounts = CompletionFaultCounts()

    /// Opens and closes `deviceID`. A device that opens without creating a domain fails: a
    /// program could not use it, and its driver's open does not do its job.
    static func run(_ deviceID: String, host: DriverHost) -> DeviceCheck {
        do throws(DMAError) {
            // Read the domain ids before closing: closing destroys the domains.
            let domains = try host.open(deviceID: deviceID).map { $0.id ?? "(no id)" }
            try host.close(deviceID: deviceID)
            let error = domains.isEmpty
                ? "opened, but its driver created no memory domain; a driver's open creates the device's domains (domain_create)"
                : nil
            return DeviceCheck(id: deviceID, domains: domains, error: error, faults: host.completionFaults(of: deviceID))
        } catch {
            return DeviceCheck(id: deviceID, domains: [], error: error.message, faults: host.completionFaults(of: deviceID))
        }
    }
}
