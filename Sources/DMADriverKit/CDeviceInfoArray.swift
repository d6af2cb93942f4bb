import CDMAHostABI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A C array of `struct dmahost_device_info` with its strings, owned by a Swift plugin
/// between two probes (driver.h: valid until the next probe or fini).
struct CDeviceInfoArray {
    private(set) var base: UnsafePointer<dmahost_device_info>?
    private var count = 0

    /// Frees the previous array and builds a new one from `infos`.
    mutating func replace(with infos: [DMADeviceInfo]) {
        free()
        guard !infos.isEmpty else { return }
        let array = UnsafeMutablePointer<dmahost_device_info>.allocate(capacity: infos.count)
        for (index, info) in infos.enumerated() {
            var c = dmahost_device_info()
            c.size = MemoryLayout<dmahost_device_info>.size
            c.id = UnsafePointer(strdup(info.id))
            c.type = info.type.rawValue
            c.alignment = info.alignment
            c.description = UnsafePointer(strdup(info.description))
            c.capabilities = info.capabilities.rawValue
            c.max_transfer_size = info.maxTransferSize ?? 0
            c.max_sge = info.maxSGE ?? 0
            (array + index).initialize(to: c)
        }
        base = UnsafePointer(array)
        count = infos.count
    }

    private mutating func free() {
        guard let base else { return }
        for index in 0..<count {
            Glibc.free(UnsafeMutableRawPointer(mutating: base[index].id))
            Glibc.free(UnsafeMutableRawPointer(mutating: base[index].description))
        }
        UnsafeMutablePointer(mutating: base).deallocate()
        self.base = nil
        count = 0
    }
}
