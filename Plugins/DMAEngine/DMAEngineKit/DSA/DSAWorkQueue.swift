import CIDXD
import DMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An open Intel DSA user work queue (`/dev/dsa/wqX.Y`, driver idxd): its portal page and the
/// submission instruction its mode needs (MOVDIR64B for dedicated, ENQCMD for shared queues).
/// Opening the node binds this process's address space to the device (shared virtual
/// addressing), so descriptors carry ordinary virtual addresses.
final class DSAWorkQueue: @unchecked Sendable {
    // @unchecked Sendable: `portal` is a device page written only by `submit`, which the owning
    // engine calls from its one worker thread.

    /// What sysfs says about the queue.
    let info: IDXDWorkQueueInfo
    private let device: OwnedFileDescriptor
    private let portal: UnsafeMutableRawPointer
    private static let portalSize = 4096
    /// Attempts before a full shared queue is reported as -EAGAIN.
    private static let enqueueAttempts = 1 << 16

    /// Opens the queue's node and maps its portal.
    /// - Throws: ``DMAError/notSupported(_:)`` when the CPU lacks the queue's instruction.
    init(info: IDXDWorkQueueInfo, cpu: CPUFeatures) throws(DMAError) {
        if info.isShared && !cpu.enqcmd { throw .notSupported("\(info.name) is a shared work queue and this CPU has no ENQCMD") }
        if !info.isShared && !cpu.movdir64b { throw .notSupported("\(info.name) is a dedicated work queue and this CPU has no MOVDIR64B") }
        let path = info.devicePath
        device = try OwnedFileDescriptor(opening: path, flags: O_RDWR, hint: { code in
            switch code {
            case ENOENT, ENODEV, ENXIO: "\(path) missing: enable the queue as a user queue (accel-config config-wq --type=user; accel-config enable-wq)"
            case EPERM, EACCES: "no permission on \(path) (needs root, or SVA/PASID support: IOMMU in scalable mode, intel_iommu=on,sm_on)"
            default: nil
            }
        })
        let mapped = mmap(nil, Self.portalSize, PROT_WRITE, MAP_SHARED | MAP_POPULATE, device.rawValue, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw SystemCall.error(errno: errno, operation: "mmap the portal of \(path)", hint: nil)
        }
        portal = mapped
        self.info = info
    }

    deinit { munmap(portal, Self.portalSize) }

    /// Submits the 64-byte, 64-byte-aligned descriptor at `descriptor`.
    /// - Throws: ``DMAError/tryAgain(_:)`` when a shared queue stayed full.
    func submit(_ descriptor: UnsafeRawPointer) throws(DMAError) {
        if !info.isShared {
            dmahost_idxd_movdir64b(portal, descriptor)
            return
        }
        for _ in 0..<Self.enqueueAttempts {
            if dmahost_idxd_enqcmd(portal, descriptor) == 0 { return }
            dmahost_idxd_pause()
        }
        throw .tryAgain("shared work queue \(info.name) stayed full for \(Self.enqueueAttempts) ENQCMD attempts")
    }

    /// Descriptors that may be in flight at once: the queue size for dedicated queues (beyond
    /// it MOVDIR64B submissions are dropped silently), at most 32.
    var window: Int { max(1, min(info.size ?? 1, 32)) }

    /// Largest transfer per descriptor.
    var maxTransferSize: Int { Int(clamping: info.maxTransferSize ?? UInt64(UInt32.max)) }
}
