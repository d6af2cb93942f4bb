import DMASync
import CDMABuf
import CLibDRM
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// PRIME (dma-buf sharing) support of a DRM driver (`DRM_CAP_PRIME`).
public struct PrimeCapabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The `DRM_PRIME_CAP_*` bits.
    public let rawValue: UInt64
    /// Wraps `DRM_PRIME_CAP_*` bits.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// `DRM_PRIME_CAP_IMPORT`: dma-bufs can be imported (drmPrimeFDToHandle).
    public static let `import` = PrimeCapabilities(rawValue: UInt64(DRM_PRIME_CAP_IMPORT))
    /// `DRM_PRIME_CAP_EXPORT`: buffers can be exported as dma-bufs (drmPrimeHandleToFD).
    public static let export = PrimeCapabilities(rawValue: UInt64(DRM_PRIME_CAP_EXPORT))

    public var description: String {
        let names = [(PrimeCapabilities.import, "import"), (.export, "export")].filter { contains($0.0) }.map(\.1)
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }
}

/// An open DRM device node (`/dev/dri/cardN` or `renderDN`): driver identity, capabilities,
/// dumb buffers exported with PRIME, and PRIME import.
public final class DRMDevice: Sendable, CustomStringConvertible {
    /// The node path.
    public let path: String
    /// The kernel driver (`drmGetVersion().name`, e.g. "vgem").
    public let driverName: String
    /// The driver's description (`drmGetVersion().desc`).
    public let driverDescription: String
    /// PRIME support (`drmGetCap(DRM_CAP_PRIME)`).
    public let prime: PrimeCapabilities
    /// Dumb buffer support (`drmGetCap(DRM_CAP_DUMB_BUFFER)`); nil when the driver does not answer
    /// (drivers without modesetting, such as vgem, refuse the query yet create dumb buffers).
    public let dumbBuffers: Bool?
    let device: OwnedFileDescriptor
    /// GEM handle reference counts: PRIME import returns the same handle for the same object.
    private let handleCounts = Locked<[UInt32: Int]>([:])

    /// The fd of the open node (owned by this object).
    public var fd: Int32 { device.rawValue }

    /// Opens `path` read-write and queries the driver's name and capabilities.
    public init(path: String) throws(DMAError) {
        self.path = path
        self.device = try OwnedFileDescriptor(opening: path, flags: O_RDWR, hint: { code in
            switch code {
            case ENOENT, ENODEV, ENXIO: "\(path) missing: load a DRM driver (for a virtual PRIME device: modprobe vgem, CONFIG_DRM_VGEM)"
            case EACCES, EPERM: "no permission on \(path): run as root or join the video/render group"
            default: nil
            }
        })
        let fd = device.rawValue
        guard let version = drmGetVersion(fd) else {
            throw .notSupported("drmGetVersion failed on \(path): not a DRM device node")
        }
        defer { drmFreeVersion(version) }
        func string(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int32) -> String {
            guard let pointer, length > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
        }
        driverName = string(version.pointee.name, version.pointee.name_len)
        driverDescription = string(version.pointee.desc, version.pointee.desc_len)
        prime = PrimeCapabilities(rawValue: Self.capability(fd, UInt64(DRM_CAP_PRIME)) ?? 0)
        dumbBuffers = Self.capability(fd, UInt64(DRM_CAP_DUMB_BUFFER)).map { $0 != 0 }
    }

    /// `drmGetCap`; nil when the driver does not answer.
    static func capability(_ fd: Int32, _ cap: UInt64) -> UInt64? {
        var value: UInt64 = 0
        let rc = try? SystemCall.check("drmGetCap(\(cap))") { drmGetCap(fd, cap, &value) }
        return rc == nil ? nil : value
    }

    /// Creates a dumb buffer of at least `length` bytes and exports it as a writable dma-buf
    /// (`DRM_IOCTL_MODE_CREATE_DUMB` + `drmPrimeHandleToFD(DRM_CLOEXEC | DRM_RDWR)`).
    /// - Returns: The GEM handle (released with the returned object) and the dma-buf.
    public func allocateDumb(length: UInt64) throws(DMAError) -> (handle: GEMHandle, dmabuf: DMABufFile) {
        guard dumbBuffers != false else { throw .notSupported("\(self) has no dumb buffers (DRM_CAP_DUMB_BUFFER is 0)") }
        guard prime.contains(.export) else { throw .notSupported("\(self) cannot export PRIME buffers (DRM_CAP_PRIME has no EXPORT)") }
        guard length > 0, let size = PageSize.roundUp(length) else { throw .invalidArgument("dumb buffer length \(length) is 0 or too large") }
        let rowBytes: UInt64 = 4096
        guard let height = UInt32(exactly: (size + rowBytes - 1) / rowBytes) else {
            throw .invalidArgument("dumb buffer length \(length) is too large")
        }
        var raw: UInt32 = 0, pitch: UInt32 = 0, actual: UInt64 = 0
        try SystemCall.check("DRM_IOCTL_MODE_CREATE_DUMB(1024x\(height)x32) on \(path)", hint: { code in
            code == ENOSYS || code == EOPNOTSUPP || code == EINVAL ? "driver \(driverName) does not create dumb buffers; import dma-bufs into this domain instead" : nil
        }) {
            dmahost_drm_mode_create_dumb(fd, 1024, height, 32, &raw, &pitch, &actual)
        }
        let handle = GEMHandle(device: self, handle: raw, dumb: true)
        retain(raw)
        var prime: Int32 = -1
        try SystemCall.check("drmPrimeHandleToFD(\(raw)) on \(path)") {
            drmPrimeHandleToFD(fd, raw, dmahost_drm_prime_flags_rdwr(), &prime)
        }
        return (handle, try DMABufFile(adopting: OwnedFileDescriptor(adopting: prime)))
    }

    /// Imports a dma-buf into this device (`drmPrimeFDToHandle`).
    /// - Returns: The GEM handle, reference-counted per device (the same object imported twice
    ///   shares one handle, closed when its last holder goes).
    public func importBuffer(fd dmabuf: Int32) throws(DMAError) -> GEMHandle {
        guard prime.contains(.import) else { throw .notSupported("\(self) cannot import PRIME buffers (DRM_CAP_PRIME has no IMPORT)") }
        var raw: UInt32 = 0
        try SystemCall.check("drmPrimeFDToHandle(fd \(dmabuf)) on \(path)") { drmPrimeFDToHandle(fd, dmabuf, &raw) }
        retain(raw)
        return GEMHandle(device: self, handle: raw, dumb: false)
    }

    private func retain(_ handle: UInt32) {
        handleCounts.withLock { $0[handle, default: 0] += 1 }
    }

    /// Drops one reference to `handle`; closes it (`drmCloseBufferHandle`) at the last.
    func release(_ handle: UInt32) {
        let last = handleCounts.withLock { counts -> Bool in
            let remaining = (counts[handle] ?? 1) - 1
            counts[handle] = remaining > 0 ? remaining : nil
            return remaining <= 0
        }
        if last { _ = try? SystemCall.check("drmCloseBufferHandle(\(handle))") { drmCloseBufferHandle(fd, handle) } }
    }

    public var description: String { "DRM device \(path) (\(driverName))" }
}

/// A reference to a GEM buffer object on a ``DRMDevice``; released when deinitialised.
public final class GEMHandle: Sendable {
    /// The device the handle belongs to (kept open while the handle lives).
    public let device: DRMDevice
    /// The GEM handle.
    public let handle: UInt32
    /// True for a dumb buffer this process created.
    public let dumb: Bool

    init(device: DRMDevice, handle: UInt32, dumb: Bool) {
        self.device = device
        self.handle = handle
        self.dumb = dumb
    }

    deinit { device.release(handle) }
}
