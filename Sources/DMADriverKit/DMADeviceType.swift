import CDMAHostABI

/// Kind of device that can reach a memory domain (`enum spdk_dma_device_type`).
public struct DMADeviceType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The C enum value.
    public let rawValue: Int32

    /// Wraps any value; the C ABI stores types as given.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// RDMA device (protection domain, lkey/rkey, virtual address).
    public static let rdma = DMADeviceType(rawValue: Int32(SPDK_DMA_DEVICE_TYPE_RDMA.rawValue))
    /// DMA device (physical or I/O virtual addresses).
    public static let dma = DMADeviceType(rawValue: Int32(SPDK_DMA_DEVICE_TYPE_DMA.rawValue))
    /// Acceleration engine.
    public static let accel = DMADeviceType(rawValue: Int32(SPDK_DMA_DEVICE_TYPE_ACCEL.rawValue))
    /// The vendor range, 1000...1999.
    public static let vendorRange: ClosedRange<Int32> =
        Int32(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_START.rawValue)...Int32(SPDK_DMA_DEVICE_VENDOR_SPECIFIC_TYPE_END.rawValue)

    /// A vendor type, `1000 + offset`; nil when outside the vendor range.
    public static func vendor(_ offset: Int32) -> DMADeviceType? {
        let value = vendorRange.lowerBound + offset
        return vendorRange.contains(value) ? DMADeviceType(rawValue: value) : nil
    }

    /// True for 1000...1999.
    public var isVendor: Bool { Self.vendorRange.contains(rawValue) }

    /// True for RDMA, DMA and ACCEL.
    public var isBuiltIn: Bool { self == .rdma || self == .dma || self == .accel }

    /// The C enum value.
    public var cValue: spdk_dma_device_type { spdk_dma_device_type(rawValue: numericCast(rawValue)) }

    public var description: String {
        switch self {
        case .rdma: "RDMA"
        case .dma: "DMA"
        case .accel: "ACCEL"
        default: isVendor ? "VENDOR(\(rawValue))" : "UNKNOWN(\(rawValue))"
        }
    }
}
