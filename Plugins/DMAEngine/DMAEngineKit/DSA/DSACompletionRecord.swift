import DMADriverKit

/// A 32-byte DSA completion record, decoded:
///
/// | bytes | field |
/// | --- | --- |
/// | 0 | status (bits 6:0), fault on write (bit 7, page faults only) |
/// | 1 | result |
/// | 2–3 | reserved |
/// | 4–7 | bytes completed (partial completions) |
/// | 8–15 | fault address |
/// | 16–18 | invalid flags (invalid-flags status) |
public struct DSACompletionRecord: Sendable, Hashable {
    /// Record size in bytes.
    public static let size = 32

    /// Status code.
    public var status: DSAStatus
    /// For page faults: the fault was on a write (status bit 7).
    public var faultOnWrite: Bool
    /// Operation result byte.
    public var result: UInt8
    /// Bytes processed before a partial completion.
    public var bytesCompleted: UInt32
    /// Faulting address of a page fault.
    public var faultAddress: UInt64
    /// The flags the device rejected, for an invalid-flags status.
    public var invalidFlags: UInt32

    /// Decodes a record.
    public init(bytes: UnsafeRawBufferPointer) throws(DMAError) {
        guard bytes.count >= Self.size else { throw .invalidArgument("DSA completion record needs \(Self.size) bytes, got \(bytes.count)") }
        let statusByte = bytes[0]
        status = DSAStatus(rawValue: statusByte & 0x7f)
        faultOnWrite = statusByte & 0x80 != 0
        result = bytes[1]
        bytesCompleted = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        faultAddress = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        invalidFlags = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)) & 0xFF_FFFF
    }

    /// True for a partial completion the submitter resolves by touching the page and resubmitting the rest.
    public var isRecoverablePageFault: Bool { status == .pageFaultNoBOF || status == .pageFaultIR }
}
