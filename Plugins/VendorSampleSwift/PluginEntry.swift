import CDMAHostABI
import DMADriverKit

/// The plugin entry (`dmahost_driver_entry`): exports ``VendorSwiftDriver`` through the C ABI.
@_cdecl("dmahost_driver_entry")
public func pluginEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
    DriverExport.entry(host: host) { host throws(DMAError) in VendorSwiftDriver(host: host) }
}
