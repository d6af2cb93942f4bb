import CDMAHostABI
import DMABuf
import DMADriverKit

/// Where a dma-buf domain's buffers come from, and how a foreign dma-buf is adopted.
enum DMABufSource: Sendable {
    /// memfd + F_SEAL_SHRINK + UDMABUF_CREATE.
    case udmabuf(UDMABufDevice)
    /// DMA_HEAP_IOCTL_ALLOC.
    case heap(DMAHeap)
    /// Dumb buffer + drmPrimeHandleToFD; imports go through drmPrimeFDToHandle.
    case drm(DRMDevice)

    /// The `enum dmahost_dmabuf_source` value.
    var cValue: UInt32 {
        switch self {
        case .udmabuf: DMAHOST_DMABUF_SOURCE_UDMABUF.rawValue
        case .heap: DMAHOST_DMABUF_SOURCE_HEAP.rawValue
        case .drm: DMAHOST_DMABUF_SOURCE_DRM.rawValue
        }
    }

    /// Allocates and maps a new dma-buf of at least `length` bytes.
    func allocate(length: UInt64) throws(DMAError) -> DMABuffer {
        switch self {
        case .udmabuf(let device):
            let (memfd, file) = try device.allocate(length: length)
            return try DMABuffer(file: file, memfd: memfd)
        case .heap(let heap):
            return try DMABuffer(file: heap.allocate(length: length))
        case .drm(let device):
            let (handle, file) = try device.allocateDumb(length: length)
            return try DMABuffer(file: file, gem: handle)
        }
    }

    /// Adopts a duplicate of the caller's dma-buf `fd` and maps [`offset`, `offset + length`)
    /// of it (`length` 0: to the end); a DRM domain imports it into its device too.
    func importBuffer(fd: Int32, offset: UInt64, length: UInt64) throws(DMAError) -> DMABuffer {
        let file = try DMABufFile.importing(fd: fd)
        var handle: GEMHandle?
        if case .drm(let device) = self { handle = try device.importBuffer(fd: file.fd) }
        return try DMABuffer(file: file, offset: offset, length: length == 0 ? nil : length, gem: handle)
    }
}
