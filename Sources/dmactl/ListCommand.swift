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

                Exit status: 0, or 4 when no driver could be loaded (the listing is still printed).
                """
        )

        @OptionGroup var options: GlobalOptions
        @ParentCommand var root: DMACtl

        @Flag(help: "Also print how long loading and probing each plugin took.")
        var timing = false

        @Flag(name: .customLong("no-open"), help: "Do not open devices to list their domains.")
        var noOpen = false

        func run() async throws {
            let options = self.options.merged(with: root.global)
            let session = try Session(options)
            let host = session.host
            let drivers = host.drivers, devices = host.devices

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
            let domains: [(domain: MemoryDomain, device: String?)] =
                MemoryDomain.all().filter { !opened.contains($0) }.map { ($0, nil) } + deviceDomains.map { ($0.domain, $0.device) }

            if options.format == .json {
                var members: [(String, JSON)] = [
                    ("drivers", .array(drivers.map { driver in
                        Formatting.driverJSON(driver, deviceCount: devices.count { $0.driverName == driver.name })
                    })),
                    ("devices", .array(devices.map { device in
                        guard case .object(var members) = Formatting.deviceJSON(device) else { return .null }
                        members.append(("openError", .optional(openErrors[device.id])))
                        return .object(members)
                    })),
                    ("domains", .array(domains.map { entry in
                        .object([("id", .optional(entry.domain.id))] + Formatting.typeJSON(entry.domain.type)
                                + [("device", .optional(entry.device)), ("system", .bool(entry.domain.isSystem))])
                    })),
                    ("rejected", .integer(host.rejections.count)),
                ]
                if timing { members.append(("timing", timingJSON(session))) }
                print(JSON.object(members).rendered())
            } else {
                printText(session, domains: domains, openErrors: openErrors)
            }
            host.closeAll()
            if drivers.isEmpty { throw Failure(.noDrivers, "no driver could be loaded; `dmactl doctor` says why") }
        }

        private func printText(_ session: Session, domains: [(domain: MemoryDomain, device: String?)], openErrors: [String: String]) {
            let host = session.host
            let drivers = host.drivers, devices = host.devices, rejected = host.rejections.count
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
            }).joined(separator: "\n"))
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

        private func timingJSON(_ session: Session) -> JSON {
            .object([
                ("drivers", .array(session.host.drivers.map { driver in
                    .object([("name", .string(driver.name)),
                             ("loadMicroseconds", .int(Formatting.microseconds(driver.loadDuration))),
                             ("probeMicroseconds", .int(Formatting.microseconds(driver.probeDuration)))])
                })),
                ("totalMicroseconds", .int(Formatting.microseconds(session.loadWallTime))),
            ])
        }
    }
}
