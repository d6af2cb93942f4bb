import ArgumentParser
import DMAHost
import DriverHost

extension DMACtl {
    /// `dmactl info <device>`: everything known about one device.
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every capability, limit, domain and driver counter of one device.",
            discussion: """
                The device is opened to list its domains and read its driver's counters (the \
                driver's diagnose lines about this device), then closed.

                Exit status: 0; 1 the device does not open; 2 the selection names several devices; \
                3 no such device; 4 no driver loaded.
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Argument(help: ArgumentHelp("The device: a selection of exactly one device.", valueName: "device"),
                  completion: DeviceCompletion.ids(includingSystem: false))
        var device: String

        func run() async throws {
            let options = self.options.merged(with: root.global)
            let session = try Session(options)
            let host = session.host
            defer { host.closeAll() }
            let device = try host.oneDevice(self.device, for: "info")
            guard let driver = host.driver(named: device.driverName) else {
                throw Failure(.failed, "device \(device.id) has no loaded driver")
            }
            var domains: [MemoryDomain] = []
            var openError: String?
            do throws(DMAError) {
                domains = try host.open(deviceID: device.id)
            } catch {
                openError = error.message
            }
            let counters = driver.diagnose().filter { $0.subject == device.id || $0.subject.hasPrefix(device.id + " ") }
            let report = DeviceInfoReport(device: device, driver: driver, deviceCount: host.devices.count { $0.driverName == driver.name },
                                          domains: domains, openError: openError, counters: counters,
                                          faults: host.completionFaults(of: device.id))
            let failure = openError.map { Failure(.failed, "open \(device.id): \($0)") }
            try finish(report, command: "info", format: options.format, failure: failure) {
                for line in report.text { print(line) }
            }
        }
    }
}
