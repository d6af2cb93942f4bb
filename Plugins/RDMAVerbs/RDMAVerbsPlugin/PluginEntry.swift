import CDMAHostABI
import DMADriverKit
import RDMAVerbsKit

/// The plugin entry (`dmahost/driver.h`): exports the RDMA verbs driver.
@_cdecl("dmahost_driver_entry")
public func pluginEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
    DriverExport.entry(host: host) { host throws(DMAError) in RDMAVerbsDriver(host: host) }
}
