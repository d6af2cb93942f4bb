import CDMAHostABI
import CPUAccelKit
import DMADriverKit

/// The plugin entry point (`dmahost_driver_entry`, see dmahost/driver.h): checks the host
/// table and exports the CPU accel driver.
@_cdecl("dmahost_driver_entry")
public func dmahostDriverEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
    DriverExport.entry(host: host) { host throws(DMAError) in
        CPUAccelDriver(host: host)
    }
}
