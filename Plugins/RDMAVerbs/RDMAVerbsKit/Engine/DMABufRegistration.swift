import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A registration of dma-buf memory: through `ibv_reg_dmabuf_mr`, or, when the provider
/// cannot, through the buffer's CPU mapping (`ibv_reg_mr`).
public struct DMABufRegistration: Sendable {
    /// The memory region; its keys cover the dma-buf range (at its CPU address when
    /// ``viaDMABuf`` is false, at the requested IOVA otherwise).
    public let region: MemoryRegion
    /// True when `ibv_reg_dmabuf_mr` registered it.
    public let viaDMABuf: Bool
}

extension RDMAEngine {
    /// Registers `length` bytes at `offset` of the dma-buf `fd`.
    ///
    /// Tries `ibv_reg_dmabuf_mr` (IOVA = the CPU address, so the same addresses work either
    /// way) unless an earlier attempt on this device showed the provider cannot; on
    /// EOPNOTSUPP/ENOSYS/EINVAL it registers `cpuMapping` (the mmap of that range) with
    /// `ibv_reg_mr` instead, and remembers why for `diagnose()`.
    /// - Parameters:
    ///   - fd: The dma-buf; the caller keeps it open while the registration exists.
    ///   - cpuMapping: The process mapping of exactly that range.
    public func registerDMABuf(fd: Int32, offset: UInt64, length: Int,
                               cpuMapping: UnsafeMutableRawPointer) throws(VerbsError) -> DMABufRegistration {
        let known = dmaBufStatus.withLock { $0 }
        if case .fallback = known {} else {
            do throws(VerbsError) {
                let region = try protectionDomain.registerDMABuf(fd: fd, offset: offset, length: length,
                                                                 iova: UInt64(UInt(bitPattern: cpuMapping)),
                                                                 access: Registrations.access)
                dmaBufStatus.withLock { $0 = .supported }
                return DMABufRegistration(region: region, viaDMABuf: true)
            } catch where [EOPNOTSUPP, ENOTSUP, ENOSYS, EINVAL, EPROTONOSUPPORT].contains(error.errno) {
                let reason = "\(error.function): \(String(cString: strerror(error.errno)))"
                dmaBufStatus.withLock { $0 = .fallback(errno: error.errno, reason: reason) }
                Self.log("dma-buf MR: not supported by \(profile.name) (\(reason)), falling back to registering the CPU mapping")
            }
        }
        let region = try protectionDomain.registerMemory(address: cpuMapping, length: length, access: Registrations.access)
        return DMABufRegistration(region: region, viaDMABuf: false)
    }

    /// What the dma-buf registrations on this device found so far.
    public var dmaBufRegistrationStatus: DMABufStatus { dmaBufStatus.withLock { $0 } }
}
