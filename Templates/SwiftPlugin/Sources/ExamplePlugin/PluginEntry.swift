import CDMAHostABI
import DMADriverKit

/// The plugin entry (`dmahost_driver_entry`, the one symbol the host looks up): exports
/// ``ExampleDriver`` through the C ABI. `DriverExport.entry` checks the host's ABI version and
/// builds the C table around the driver.
@_cdecl("dmahost_driver_entry")
public func pluginEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
    DriverExport.entry(host: host) { host throws(DMAError) in ExampleDriver(host: host) }
}
