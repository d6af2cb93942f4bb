import CDMAHostABI
import DMAHost
import Testing

/// spdk_dma_device_type_get_name: the names SPDK (v26.05) gives, for every kind of value.
@Suite("Device type names")
struct DeviceTypeNameTests {
    static let cases: [(UInt32, String)] = [
        (0, "RDMA"), (1, "DMA"), (2, "ACCEL"),
        (3, "UNKNOWN"), (999, "UNKNOWN"),
        (1000, "VENDOR_SPECIFIC"), (1001, "VENDOR_SPECIFIC"), (1500, "VENDOR_SPECIFIC"), (1999, "VENDOR_SPECIFIC"),
        (2000, "UNKNOWN"), (UInt32(Int32.max), "UNKNOWN"), (UInt32(bitPattern: Int32.min), "UNKNOWN"),
        (UInt32(bitPattern: -1), "UNKNOWN"),
    ]

    /// The name as a Swift string; nil when the function returned NULL.
    private static func name(_ type: spdk_dma_device_type) -> String? {
        spdk_dma_device_type_get_name(type).map { String(cString: $0) }
    }

    @Test("each value has its name", arguments: cases)
    func name(value: UInt32, expected: String) {
        #expect(Self.name(spdk_dma_device_type(rawValue: value)) == expected)
    }

    @Test("the enum's named values and range bounds")
    func namedValues() throws {
        #expect(Self.name(SPDK_DMA_DEVICE_TYPE_RDMA) == "RDMA")
        #expect(Self.name(SPDK_DMA_DEVICE_TYPE_DMA) == "DMA")
        #expect(Self.name(SPDK_DMA_DEVICE_TYPE_ACCEL) == "ACCEL")
        #expect(Self.name(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START) == "VENDOR_SPECIFIC")
        #expect(Self.name(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END) == "VENDOR_SPECIFIC")
        let vendor = try #require(DMADeviceType.vendor(7))
        #expect(Self.name(vendor.cValue) == "VENDOR_SPECIFIC")
    }

    @Test("the strings are static: the same pointer every time")
    func staticStrings() {
        for (value, _) in Self.cases {
            let type = spdk_dma_device_type(rawValue: value)
            #expect(spdk_dma_device_type_get_name(type) != nil)
            #expect(spdk_dma_device_type_get_name(type) == spdk_dma_device_type_get_name(type))
        }
    }
}
