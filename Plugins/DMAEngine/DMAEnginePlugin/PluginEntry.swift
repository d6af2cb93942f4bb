import CDMAHostABI
import DMADriverKit
import DMAEngineKit
import Synchronization

/// The addresses of the ops tables this plugin returned (one per entry call). driver.h makes a
/// table valid for the life of the process; hosts may copy it, so the plugin itself keeps it
/// reachable (otherwise LeakSanitizer reports the table and the driver it owns as lost).
private let exportedTables = Mutex<[UInt]>([])

/// The plugin entry (`dmahost_driver_entry`, see dmahost/driver.h): exports the dmaengine driver.
@_cdecl("dmahost_driver_entry")
public func dmaEnginePluginEntry(_ host: UnsafePointer<dmahost_host_api>?) -> UnsafePointer<dmahost_driver_ops>? {
    let table = DriverExport.entry(host: host) { host throws(DMAError) in DMAEngineDriver(host: host) }
    if let table { exportedTables.withLock { $0.append(UInt(bitPattern: table)) } }
    return table
}
