import CIBVerbsShim
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A dma-buf made from a sealed memfd through `/dev/udmabuf`, mapped into this process twice:
/// the dma-buf itself (``mapping``, the exporter's `VM_PFNMAP` mapping, which `ibv_reg_mr`
/// cannot pin) and its memfd (``memfdMapping``, the same pages in an ordinary shared mapping,
/// which it can). Used to probe whether a device registers dma-bufs, and by the hardware tests.
/// The mappings are removed and the descriptors closed when the last reference goes away.
public final class UDMABuffer: @unchecked Sendable {
    // @unchecked Sendable: descriptors and mapping are immutable after init; the bytes are
    // the user's to synchronise.

    /// The dma-buf file descriptor.
    public let fd: Int32
    /// Length in bytes (a multiple of the page size).
    public let length: Int
    /// The process mapping of the whole buffer (`mmap` of the dma-buf, shared).
    public let mapping: UnsafeMutableRawPointer
    /// The memfd's mapping (`mmap` of the memfd, shared): the same pages, pinnable.
    public let memfdMapping: UnsafeMutableRawPointer
    private let memfd: Int32

    /// The device node.
    public static let devicePath = "/dev/udmabuf"

    /// Creates a buffer of `length` bytes (rounded up to whole pages): `memfd_create`,
    /// `ftruncate`, `F_ADD_SEALS` (shrink), `open(/dev/udmabuf)`, `UDMABUF_CREATE`, `mmap`.
    public init(length requested: Int) throws(VerbsError) {
        let page = PageSize.bytes
        let length = max(page, (requested + page - 1) / page * page)
        let memfd = Int32(try VerbsCall.count("memfd_create", "creating the memfd behind a udmabuf") {
            Int(dmahost_rdma_memfd_create_sealable("dmahost-rdma-udmabuf"))
        })
        var cleanup: [Int32] = [memfd]
        do throws(VerbsError) {
            _ = try VerbsCall.count("ftruncate", "sizing the memfd to \(length) bytes") { Int(ftruncate(memfd, off_t(length))) }
            _ = try VerbsCall.count("fcntl", "sealing the memfd against shrinking") { Int(dmahost_rdma_fcntl_seal_shrink(memfd)) }
            let device = Int32(try VerbsCall.count("open", "opening \(Self.devicePath)") { Int(open(Self.devicePath, O_RDWR | O_CLOEXEC)) })
            cleanup.append(device)
            let fd = Int32(try VerbsCall.count("ioctl", "UDMABUF_CREATE of \(length) bytes") {
                Int(dmahost_rdma_udmabuf_create(device, memfd, 0, UInt64(length)))
            })
            close(device)
            cleanup.removeLast()
            cleanup.append(fd)
            let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            guard let mapped, mapped != MAP_FAILED else {
                throw VerbsError(function: "mmap", errno: errno, context: "mapping a \(length)-byte udmabuf")
            }
            let pages = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0)
            guard let pages, pages != MAP_FAILED else {
                let code = errno
                munmap(mapped, length)
                throw VerbsError(function: "mmap", errno: code, context: "mapping the memfd of a \(length)-byte udmabuf")
            }
            self.fd = fd
            self.memfd = memfd
            self.length = length
            mapping = mapped
            memfdMapping = pages
        } catch {
            for descriptor in cleanup { close(descriptor) }
            throw error
        }
    }

    deinit {
        munmap(mapping, length)
        munmap(memfdMapping, length)
        close(fd)
        close(memfd)
    }
}
