import DMAHost
import DriverHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Loads the plugins of the default search (DriverHost.loadDefault()), prints one line per
// device, and opens the device named by the first argument. Exit status 0 when that device
// opened into at least one domain, 1 otherwise.
let wanted = CommandLine.arguments.dropFirst().first ?? "vendor-c:0"
let host = DriverHost()
host.loadDefault()
for device in host.devices { print("device \(device.id)") }
for rejection in host.rejections { print("rejected \(rejection)") }
do throws(DMAError) {
    let domains = try host.open(deviceID: wanted)
    guard !domains.isEmpty else {
        print("\(wanted) opened without a domain")
        exit(1)
    }
    print("opened \(wanted): \(domains.count) domain(s)")
} catch {
    print("cannot open \(wanted): \(error)")
    exit(1)
}
