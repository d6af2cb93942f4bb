import DMASync
import CDMAHostABI

/// The process-wide record of plugin images and of the tables exchanged with them.
///
/// A plugin is never unloaded, so its image, the host table given to its entry and the ops
/// table it returned all live as long as the process (driver.h). This record states that
/// lifetime explicitly: it keeps every such table reachable (a leak checker sees them as
/// held, which they are) and is never read by the loader's logic. It is the dynamic
/// linker's own list of loaded objects, plus the two tables per entry call.
enum PluginImages {
    /// One entry call.
    struct Image: @unchecked Sendable {
        // @unchecked Sendable: immutable addresses of process-lifetime objects.
        let path: String
        let library: DynamicLibrary
        let hostTable: UnsafePointer<dmahost_host_api>
        let opsTable: UnsafeRawPointer?
    }

    private static let images = Locked<[Image]>([])

    /// Records an entry call (whatever the loader then decides about the table).
    static func record(_ image: Image) {
        images.withLock { $0.append(image) }
    }

    /// Number of entry calls made in this process.
    static var count: Int { images.withLock { $0.count } }
}
