/// Where the backend looks for kernel interfaces. Tests point these at fixture trees.
public struct SystemPaths: Sendable, Hashable {
    /// The sysfs mount point (`/sys`).
    public var sysfs: String
    /// The device node directory (`/dev`).
    public var dev: String
    /// libpci's sysfs PCI directory; nil lets libpci choose its access method (the live system).
    public var pciSysfs: String?
    /// Whether to ask libdrm (`drmGetDevices2`) about the live system's DRM devices.
    public var useLibDRMEnumeration: Bool

    /// Paths with the given roots.
    public init(sysfs: String, dev: String, pciSysfs: String?, useLibDRMEnumeration: Bool) {
        self.sysfs = sysfs
        self.dev = dev
        self.pciSysfs = pciSysfs
        self.useLibDRMEnumeration = useLibDRMEnumeration
    }

    /// The running system.
    public static let live = SystemPaths(sysfs: "/sys", dev: "/dev", pciSysfs: nil, useLibDRMEnumeration: true)

    /// A fixture tree with `sys/` and `dev/` under `root` (libpci reads `sys/bus/pci`; libdrm is not asked).
    public static func fixture(root: String) -> SystemPaths {
        SystemPaths(sysfs: "\(root)/sys", dev: "\(root)/dev", pciSysfs: "\(root)/sys/bus/pci", useLibDRMEnumeration: false)
    }
}
