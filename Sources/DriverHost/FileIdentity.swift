import SystemPackage

/// What makes a file the same file whatever path reaches it: its device and inode numbers
/// (`st_dev`, `st_ino`). A hard link, a symbolic link, a second directory or a bind mount lead
/// to the same identity; two copies do not.
struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    /// `st_dev`.
    var device: UInt64
    /// `st_ino`.
    var inode: UInt64

    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity in a `stat` result.
    init(_ status: Stat) {
        self.init(device: UInt64(status.deviceID.rawValue), inode: UInt64(status.inode.rawValue))
    }

    /// "device 0x803, inode 1234".
    var description: String { "device 0x\(String(device, radix: 16)), inode \(inode)" }
}
