import CDMAHostABI

/// What a device can do (`enum dmahost_capability` bits).
public struct DMACapabilities: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The capability bits.
    public let rawValue: UInt64
    /// Wraps capability bits.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Copies memory (pull/push/transfer).
    public static let copy = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_COPY.rawValue))
    /// Fills memory (memzero).
    public static let fill = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_FILL.rawValue))
    /// Accepts scatter-gather lists.
    public static let scatterGather = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_SCATTER_GATHER.rawValue))
    /// Translates system memory by identity.
    public static let translateIdentity = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_TRANSLATE_IDENTITY.rawValue))
    /// Translates system memory into RDMA keys.
    public static let translateRDMA = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_TRANSLATE_RDMA.rawValue))
    /// Translates into dma-buf fd/offset/length.
    public static let translateDMABuf = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_TRANSLATE_DMABUF.rawValue))
    /// Moves data between two non-system domains.
    public static let transfer = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_TRANSFER.rawValue))
    /// Invalidates cached translations.
    public static let invalidate = DMACapabilities(rawValue: UInt64(DMAHOST_CAP_INVALIDATE.rawValue))

    /// Names of the set bits, in bit order.
    public var names: [String] {
        let all: [(DMACapabilities, String)] = [
            (.copy, "copy"), (.fill, "fill"), (.scatterGather, "sg"), (.translateIdentity, "translate-identity"),
            (.translateRDMA, "translate-rdma"), (.translateDMABuf, "translate-dmabuf"), (.transfer, "transfer"),
            (.invalidate, "invalidate"),
        ]
        return all.filter { contains($0.0) }.map(\.1)
    }

    public var description: String { names.joined(separator: ",") }
}

/// One device a driver found (`struct dmahost_device_info`).
public struct DMADeviceInfo: Hashable, Sendable {
    /// Stable id, "<driver>:<device>", e.g. "cpu:0" or "rdma:rxe0".
    public var id: String
    /// Device type.
    public var type: DMADeviceType
    /// Human description: model, kernel driver, path.
    public var description: String
    /// What the device can do.
    public var capabilities: DMACapabilities
    /// Largest single transfer in bytes; nil for no limit.
    public var maxTransferSize: UInt64?
    /// Required buffer alignment in bytes (1 = any).
    public var alignment: UInt32
    /// Most iovec entries per side; nil for no limit.
    public var maxSGE: UInt32?

    /// Creates a device description.
    public init(id: String, type: DMADeviceType, description: String, capabilities: DMACapabilities,
                maxTransferSize: UInt64? = nil, alignment: UInt32 = 1, maxSGE: UInt32? = nil) {
        self.id = id
        self.type = type
        self.description = description
        self.capabilities = capabilities
        self.maxTransferSize = maxTransferSize
        self.alignment = alignment
        self.maxSGE = maxSGE
    }
}

/// One line of a driver's self-diagnosis: what was checked, whether it passed, and the detail
/// (for a failed check: what is missing and how to get it).
public struct DriverDiagnostic: Hashable, Sendable {
    /// What was checked, e.g. "/dev/udmabuf" or "kernel module rdma_rxe".
    public var subject: String
    /// True when the check passed.
    public var ok: Bool
    /// Detail or remedy.
    public var detail: String

    /// Creates a diagnostic line.
    public init(subject: String, ok: Bool, detail: String) {
        self.subject = subject
        self.ok = ok
        self.detail = detail
    }
}
