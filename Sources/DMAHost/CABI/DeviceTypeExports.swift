import CDMAHostABI

// spdk/dma.h: names of device types.

/// C ABI export of `spdk_dma_device_type_get_name`; the contract is in `spdk/dma.h`.
@_cdecl("spdk_dma_device_type_get_name")
@_spi(CABI) public func spdk_dma_device_type_get_name_export(_ type: spdk_dma_device_type) -> UnsafePointer<CChar> {
    let name: StaticString
    switch type {
    case SPDK_DMA_DEVICE_TYPE_RDMA: name = "RDMA"
    case SPDK_DMA_DEVICE_TYPE_DMA: name = "DMA"
    case SPDK_DMA_DEVICE_TYPE_ACCEL: name = "ACCEL"
    default:
        let vendor = SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START.rawValue...SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END.rawValue
        name = vendor.contains(type.rawValue) ? "VENDOR_SPECIFIC" : "UNKNOWN"
    }
    // A string literal's storage is static and NUL-terminated.
    return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}
