import CDMAHostABI
import DMADriverKit
import DMAEngineKit

/// The plugin entry (`dmahost_driver_entry`, see dmahost/driver.h): exports the dmaengine driver.
@_cdecl("dmahost_driver_entry")
public func dmaEnginePluginEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
    DriverExport.entry(host: host) { host throws(DMAError) in DMAEngineDriver(host: host) }
}
