import CDMABuf
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Anonymous shared memory files (`memfd_create`), the backing store of udmabuf dma-bufs.
public enum Memfd {
    /// The seals of a file (`F_SEAL_*`).
    public struct Seals: OptionSet, Sendable, Hashable {
        /// The `F_SEAL_*` bits.
        public let rawValue: UInt32
        /// Wraps seal bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// `F_SEAL_SEAL`: no more seals.
        public static let seal = Seals(rawValue: UInt32(DMAHOST_SEAL_SEAL.rawValue))
        /// `F_SEAL_SHRINK`: the file cannot shrink (required by udmabuf).
        public static let shrink = Seals(rawValue: UInt32(DMAHOST_SEAL_SHRINK.rawValue))
        /// `F_SEAL_GROW`: the file cannot grow.
        public static let grow = Seals(rawValue: UInt32(DMAHOST_SEAL_GROW.rawValue))
        /// `F_SEAL_WRITE`: the contents cannot change (refused by udmabuf).
        public static let write = Seals(rawValue: UInt32(DMAHOST_SEAL_WRITE.rawValue))
        /// `F_SEAL_FUTURE_WRITE`: no new writable mappings (refused by udmabuf).
        public static let futureWrite = Seals(rawValue: UInt32(DMAHOST_SEAL_FUTURE_WRITE.rawValue))
    }

    /// Creates a memfd of `size` bytes (`memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING)` + `ftruncate`),
    /// sealed with `seals` (pass `[]` to leave it unsealed).
    /// - Parameters:
    ///   - name: Name shown in /proc/<pid>/fd (debugging only).
    ///   - size: Size in bytes.
    ///   - seals: Seals to add after sizing; udmabuf needs ``Seals/shrink``.
    public static func create(name: String, size: UInt64, seals: Seals = .shrink) throws(DMAError) -> OwnedFileDescriptor {
        guard size <= UInt64(Int64.max) else { throw .invalidArgument("memfd size \(size) is too large") }
        let flags = UInt32(DMAHOST_MFD_CLOEXEC.rawValue | DMAHOST_MFD_ALLOW_SEALING.rawValue)
        let fd = OwnedFileDescriptor(adopting: try SystemCall.check("memfd_create(\(name))") {
            dmahost_memfd_create(name, flags)
        })
        try SystemCall.check("ftruncate memfd \(name) to \(size) bytes") { ftruncate(fd.rawValue, off_t(size)) }
        if !seals.isEmpty { try addSeals(seals, to: fd.rawValue) }
        return fd
    }

    /// Adds seals to a memfd (`fcntl(F_ADD_SEALS)`).
    public static func addSeals(_ seals: Seals, to fd: Int32) throws(DMAError) {
        try SystemCall.check("add seals \(seals.rawValue) to fd \(fd)", hint: { code in
            code == EPERM ? "the file was created without MFD_ALLOW_SEALING or is sealed with F_SEAL_SEAL" : nil
        }) { dmahost_fd_add_seals(fd, seals.rawValue) }
    }

    /// The seals of `fd` (`fcntl(F_GET_SEALS)`); nil when `fd` is not a memfd/shmem file (EINVAL).
    /// - Throws: for a closed fd (EBADF) and other errors.
    public static func seals(of fd: Int32) throws(DMAError) -> Seals? {
        do throws(DMAError) {
            let rc = try SystemCall.check("get seals of fd \(fd)", hint: { code in
                code == EBADF ? "fd \(fd) is not open (closed already?)" : nil
            }) { dmahost_fd_get_seals(fd) }
            return Seals(rawValue: UInt32(rc))
        } catch {
            if error.errno == EINVAL { return nil }
            throw error
        }
    }

    /// Size of the file behind `fd` (`fstat`).
    public static func size(of fd: Int32) throws(DMAError) -> UInt64 {
        var info = stat()
        try SystemCall.check("fstat fd \(fd)") { fstat(fd, &info) }
        return UInt64(info.st_size)
    }
}
