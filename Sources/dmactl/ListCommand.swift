import ArgumentParser
import DMAHost
import DriverHost

extension DMACtl {
    /// `dmactl list`: drivers, devices and memory domains.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List loaded drivers, their devices, and the memory domains in the process.",
            discussion: """
                Each device is opened to show the domains it provides, then closed again \
                (--no-open lists only the system domain and devices without opening them). \
                Rejected plugins are counted; `dmactl doctor` explains them.

                A selection (the same grammar as --device: cpu, cpu:0, rdma:*, cpu:*,^cpu:1; \
                'system' for the system domain) and --caps restrict the devices listed and \
                the domains shown to theirs.

                Exit status: 0; 2 for an unknown capability; 3 when the selection matches no \
                device; 4 when no driver could be loaded (the listing is still printed).
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Argument(help: ArgumentHelp("Devices to list (default: all).", valueName: "selection"),
                  completion: DeviceCompletion.ids(includingSystem: true))
        var selection: String?

        @Option(help: ArgumentHelp("Only devices with every one of these capabilities (comma-separated: "
                                   + "\(CapabilityFilter.vocabulary)).", valueName: "caps"))
        var caps: String?

        @Flag(help: "Also print how long loading and probing each plugin took.")
        var timing = false

        @Flag(name: .customLong("no-open"), help: "Do not open devices to list their domains.")
        var noOpen = false

        func validate() throws {
            if let caps {
                do throws(Failure) { _ = try CapabilityFilter(caps) } catch { throw ValidationError(error.message) }
            }
        }

        func run() async throws {
            let options = self.options.merged(with: root.global)
            let session = try Session(options)
            let host = session.host
            defer { host.closeAll() }
            let drivers = host.drivers
            let (devices, showSystem) = try chosenDevices(host)

            // Open each device to list its domains; failures are reported, not fatal.
            var openErrors: [String: String] = [:]
            var deviceDomains: [(device: String, domain: MemoryDomain)] = []
            if !noOpen {
                for device in devices {
                    do throws(DMAError) {
                        for domain in try host.open(deviceID: device.id) { deviceDomains.append((device.id, domain)) }
                    } catch {
                        openErrors[device.id] = error.message
                    }
                }
            }
            let opened = Set(deviceDomains.map { $0.domain })
            let others = MemoryDomain.all().filter { !opened.contains($0) && (selection == nil && caps == nil || $0.isSystem && showSystem) }
            let domains: [(domain: MemoryDomain, device: String?)] = others.map { ($0, nil) } + deviceDomains.map { ($0.domain, $0.device) }
            let body = Body(
                selection: selection, caps: caps,
                drivers: drivers.map { driver in DriverJSON(driver, deviceCount: host.devices.count { $0.driverName == driver.name }) },
                devices: devices.map { Body.Device(device: DeviceJSON($0), openError: openErrors[$0.id]) },
                domains: domains.map { DomainJSON($0.domain, device: $0.device) },
                rejected: host.rejections.count, timing: timing ? Body.Timing(session) : nil)
            try finish(body, command: "list", format: options.format, failure: drivers.isEmpty ? .noDrivers : nil) {
                printText(session, devices: devices, domains: domains, openErrors: openErrors)
            }
        }

        /// The devices of the selection that have the capabilities asked for, and whether the
        /// system domain is to be shown.
        private func chosenDevices(_ host: DriverHost) throws(Failure) -> ([HostedDevice], Bool) {
            var devices = host.devices
            var showSystem = true
            if let selection {
                let items = selection.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                showSystem = items.contains("system")
                let rest = items.filter { $0 != "system" }
                if rest.isEmpty {
                    devices = []
                } else {
                    do throws(DMAError) {
                        devices = try host.select(rest.joined(separator: ","))
                    } catch {
                        throw .selection(error, selection, host: host)
                    }
                }
            }
            if let caps {
                let filter = try CapabilityFilter(caps)
                devices = devices.filter { filter.matches($0.info.capabilities) }
                showSystem = showSystem && selection != nil
            }
            return (devices, showSystem)
        }

        private func printText(_ session: Session, devices: [HostedDevice], domains: [(domain: MemoryDomain, device: String?)],
                               openErrors: [String: String]) {
            let host = session.host
            let drivers = host.drivers, rejected = host.rejections.count
            let note = rejected > 0 ? "; `dmactl doctor` explains the rejected ones" : ""
            print("Drivers (\(drivers.count) loaded, \(rejected) rejected\(note))")
            print(Formatting.table(drivers.map { driver in
                [driver.name, driver.version, "ABI \(driver.abiVersion)", "\(driver.path) (\(driver.candidate.source))"]
            }).joined(separator: "\n"), terminator: drivers.isEmpty ? "" : "\n")
            print("Devices (\(devices.count))")
            print(Formatting.table(devices.map { device in
                var description = device.info.description
                if let error = openErrors[device.id] { description += " [open failed: \(error)]" }
                return [device.id, device.info.type.description, device.info.capabilities.description, description]
            }).joined(separator: "\n"), terminator: devices.isEmpty ? "" : "\n")
            print("Domains (\(domains.count))")
            print(Formatting.table(domains.map { entry in
                [entry.domain.id ?? "(no id)", entry.domain.type.description,
                 entry.domain.isSystem ? "system memory" : entry.device.map { "device \($0)" } ?? "created outside a driver"]
            }).joined(separator: "\n"), terminator: domains.isEmpty ? "" : "\n")
            if timing {
                print("Timing (load: ELF check, dlopen, entry, table checks; probe: probe call and record checks)")
                var rows = drivers.map { driver in
                    [driver.name, "load " + Formatting.milliseconds(driver.loadDuration),
                     "probe " + Formatting.milliseconds(driver.probeDuration),
                     "total " + Formatting.milliseconds(driver.loadDuration + driver.probeDuration)]
                }
                rows.append(["all plugins", "", "", "total " + Formatting.milliseconds(session.loadWallTime)
                             + " (wall time of the whole search; target < 50 ms for the bundled plugins)"])
                print(Formatting.table(rows).joined(separator: "\n"))
            }
        }

        /// The `list` document.
        struct Body: Encodable {
            /// A listed device and why it did not open (null when it did, or was not opened).
            struct Device: Encodable {
                let device: DeviceJSON
                @Nullable var openError: String?

                private enum Keys: String, CodingKey { case openError }

                func encode(to encoder: any Encoder) throws {
                    try device.encode(to: encoder)
                    var container = encoder.container(keyedBy: Keys.self)
                    try container.encode(_openError, forKey: .openError)
                }
            }

            /// Per-plugin load and probe times.
            struct Timing: Encodable {
                struct Driver: Encodable {
                    let name: String
                    let loadMicroseconds: Int64
                    let probeMicroseconds: Int64
                }
                let drivers: [Driver]
                let totalMicroseconds: Int64

                init(_ session: Session) {
                    drivers = session.host.drivers.map { driver in
                        Driver(name: driver.name, loadMicroseconds: Formatting.microseconds(driver.loadDuration),
                               probeMicroseconds: Formatting.microseconds(driver.probeDuration))
                    }
                    totalMicroseconds = Formatting.microseconds(session.loadWallTime)
                }
            }

            @Nullable var selection: String?
            @Nullable var caps: String?
            let drivers: [DriverJSON]
            let devices: [Device]
            let domains: [DomainJSON]
            let rejected: Int
            @Nullable var timing: Timing?
        }
    }
}
