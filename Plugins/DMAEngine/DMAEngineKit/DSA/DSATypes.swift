#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// DSA operation codes (descriptor byte 7; Intel DSA specification, "Descriptor Formats").
public enum DSAOpcode: UInt8, Sendable, CaseIterable {
    /// No operation (still writes a completion record when asked).
    case noop = 0x00
    /// Batch: process a list of descriptors.
    case batch = 0x01
    /// Drain: completes after all earlier descriptors of the queue.
    case drain = 0x02
    /// Memory move (copy).
    case memmove = 0x03
    /// Memory fill with an 8-byte pattern.
    case memfill = 0x04
}

/// Descriptor flags (24 bits at descriptor bits 32–55).
public struct DSAFlags: OptionSet, Sendable, Hashable {
    /// The flag bits (only the low 24 are encodable).
    public let rawValue: UInt32
    /// Wraps flag bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fence: within a batch, wait for earlier descriptors.
    public static let fence = DSAFlags(rawValue: 0x0001)
    /// Block on fault: the device waits for page faults to be resolved instead of stopping.
    public static let blockOnFault = DSAFlags(rawValue: 0x0002)
    /// Completion record address valid.
    public static let completionRecordAddressValid = DSAFlags(rawValue: 0x0004)
    /// Request completion record (write one even on success).
    public static let requestCompletionRecord = DSAFlags(rawValue: 0x0008)
    /// Request completion interrupt.
    public static let requestCompletionInterrupt = DSAFlags(rawValue: 0x0010)
    /// Completion record steering tag selector.
    public static let completionRecordSteering = DSAFlags(rawValue: 0x0020)
    /// Check result (compare-type operations).
    public static let checkResult = DSAFlags(rawValue: 0x0080)
    /// Cache control: write destination data to the cache (else to memory).
    public static let cacheControl = DSAFlags(rawValue: 0x0100)
    /// Address 1 traffic class selector.
    public static let address1TrafficClass = DSAFlags(rawValue: 0x0200)
    /// Address 2 traffic class selector.
    public static let address2TrafficClass = DSAFlags(rawValue: 0x0400)
    /// Address 3 traffic class selector.
    public static let address3TrafficClass = DSAFlags(rawValue: 0x0800)
    /// Completion record traffic class selector.
    public static let completionRecordTrafficClass = DSAFlags(rawValue: 0x1000)
    /// Strict ordering of destination writes.
    public static let strictOrdering = DSAFlags(rawValue: 0x2000)
    /// Destination readback before completion.
    public static let destinationReadback = DSAFlags(rawValue: 0x4000)
    /// Destination steering tag selector.
    public static let destinationSteering = DSAFlags(rawValue: 0x8000)

    /// What a polled copy needs: a completion record, always written, at a valid address.
    public static let polledCompletion: DSAFlags = [.completionRecordAddressValid, .requestCompletionRecord]
}

/// Completion status codes (completion record byte 0, bits 6:0).
public struct DSAStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The 7-bit code.
    public let rawValue: UInt8
    /// Wraps a code.
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x7f }

    /// Not written yet.
    public static let none = DSAStatus(rawValue: 0x00)
    /// Success.
    public static let success = DSAStatus(rawValue: 0x01)
    /// Success with a false predicate (compare-type operations).
    public static let successPredicateFalse = DSAStatus(rawValue: 0x02)
    /// Partial completion: page fault with block-on-fault off.
    public static let pageFaultNoBOF = DSAStatus(rawValue: 0x03)
    /// Partial completion: page fault reported to the IOMMU-less path (interrupt handle case).
    public static let pageFaultIR = DSAStatus(rawValue: 0x04)
    /// Some descriptor of a batch failed.
    public static let batchFail = DSAStatus(rawValue: 0x05)
    /// Page fault reading a batch's descriptor list.
    public static let batchPageFault = DSAStatus(rawValue: 0x06)
    /// Unsupported opcode.
    public static let badOpcode = DSAStatus(rawValue: 0x10)
    /// Invalid flags.
    public static let invalidFlags = DSAStatus(rawValue: 0x11)
    /// Non-zero reserved field.
    public static let nonzeroReserved = DSAStatus(rawValue: 0x12)
    /// Transfer size out of range (0 or above the queue's maximum).
    public static let transferSizeRange = DSAStatus(rawValue: 0x13)
    /// Batch descriptor count out of range.
    public static let descriptorCountRange = DSAStatus(rawValue: 0x14)
    /// Overlapping buffers.
    public static let overlappingBuffers = DSAStatus(rawValue: 0x16)
    /// Batch descriptor list not 64-byte aligned.
    public static let descriptorListAlignment = DSAStatus(rawValue: 0x18)
    /// Invalid interrupt handle.
    public static let invalidInterruptHandle = DSAStatus(rawValue: 0x19)
    /// Completion record address could not be translated.
    public static let completionRecordTranslation = DSAStatus(rawValue: 0x1a)
    /// Completion record address misaligned.
    public static let completionRecordAlignment = DSAStatus(rawValue: 0x1b)
    /// Misaligned address.
    public static let addressAlignment = DSAStatus(rawValue: 0x1c)
    /// Privileged descriptor from an unprivileged queue.
    public static let privilege = DSAStatus(rawValue: 0x1d)
    /// Traffic class configuration error.
    public static let trafficClass = DSAStatus(rawValue: 0x1e)
    /// Page fault on a readback address.
    public static let readbackPageFault = DSAStatus(rawValue: 0x1f)
    /// Hardware error.
    public static let hardwareError = DSAStatus(rawValue: 0x20)
    /// Hardware error on destination readback.
    public static let hardwareReadbackError = DSAStatus(rawValue: 0x21)
    /// Address translation failed.
    public static let translationFailure = DSAStatus(rawValue: 0x22)

    /// The negated errno a completion with this status reports (0 for success).
    public var negativeErrno: Int32 {
        switch self {
        case .success, .successPredicateFalse: 0
        case .pageFaultNoBOF, .pageFaultIR, .completionRecordTranslation, .readbackPageFault, .translationFailure, .batchPageFault: -EFAULT
        case .badOpcode, .invalidFlags, .nonzeroReserved, .transferSizeRange, .descriptorCountRange, .overlappingBuffers,
             .descriptorListAlignment, .invalidInterruptHandle, .completionRecordAlignment, .addressAlignment, .trafficClass: -EINVAL
        case .privilege: -EPERM
        default: -EIO
        }
    }

    public var description: String {
        let names: [UInt8: String] = [
            0x00: "none", 0x01: "success", 0x02: "success (predicate false)", 0x03: "page fault (no block-on-fault)",
            0x04: "page fault (IR)", 0x05: "batch failed", 0x06: "batch list page fault", 0x10: "bad opcode",
            0x11: "invalid flags", 0x12: "non-zero reserved field", 0x13: "transfer size out of range",
            0x14: "descriptor count out of range", 0x16: "overlapping buffers", 0x18: "descriptor list misaligned",
            0x19: "invalid interrupt handle", 0x1a: "completion record translation failed", 0x1b: "completion record misaligned",
            0x1c: "address misaligned", 0x1d: "privilege error", 0x1e: "traffic class error", 0x1f: "readback page fault",
            0x20: "hardware error", 0x21: "hardware readback error", 0x22: "translation failure",
        ]
        return "\(names[rawValue] ?? "status") (0x\(String(rawValue, radix: 16)))"
    }
}
