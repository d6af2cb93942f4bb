import DMADriverKit

/// A 64-byte DSA work descriptor, encoded little-endian to the Intel DSA specification:
///
/// | bytes | field |
/// | --- | --- |
/// | 0–3 | PASID (bits 19:0), reserved (30:20), privileged (31) |
/// | 4–7 | flags (bits 23:0), opcode (31:24) |
/// | 8–15 | completion record address |
/// | 16–23 | source address / fill pattern / descriptor list address |
/// | 24–31 | destination address |
/// | 32–35 | transfer size / descriptor count |
/// | 36–37 | interrupt handle |
/// | 38–39 | reserved |
/// | 40–63 | operation-specific (zero for the operations encoded here) |
public struct DSADescriptor: Sendable, Hashable {
    /// Encoded size in bytes.
    public static let size = 64
    /// Required alignment of a completion record address.
    public static let completionRecordAlignment: UInt64 = 32
    /// Required alignment of a batch descriptor list.
    public static let descriptorListAlignment: UInt64 = 64

    /// Process address space id (20 bits); 0 for user work queues (the kernel/ENQCMD supplies it).
    public var pasid: UInt32 = 0
    /// Privileged (supervisor) request; false for user work queues.
    public var privileged = false
    /// Flags (24 bits).
    public var flags: DSAFlags
    /// Operation.
    public var opcode: DSAOpcode
    /// Completion record address (32-byte aligned), 0 for none.
    public var completionAddress: UInt64
    /// Source address, fill pattern, or descriptor list address.
    public var operand1: UInt64
    /// Destination address.
    public var operand2: UInt64
    /// Transfer size in bytes, or descriptor count for a batch.
    public var count: UInt32
    /// Interrupt handle (with requestCompletionInterrupt).
    public var interruptHandle: UInt16 = 0

    /// A descriptor with every field given.
    public init(pasid: UInt32 = 0, privileged: Bool = false, flags: DSAFlags, opcode: DSAOpcode, completionAddress: UInt64,
                operand1: UInt64 = 0, operand2: UInt64 = 0, count: UInt32 = 0, interruptHandle: UInt16 = 0) {
        self.pasid = pasid
        self.privileged = privileged
        self.flags = flags
        self.opcode = opcode
        self.completionAddress = completionAddress
        self.operand1 = operand1
        self.operand2 = operand2
        self.count = count
        self.interruptHandle = interruptHandle
    }

    /// Copy `count` bytes from `source` to `destination`.
    public static func memmove(source: UInt64, destination: UInt64, count: UInt32, completion: UInt64,
                               flags: DSAFlags = .polledCompletion) -> DSADescriptor {
        DSADescriptor(flags: flags, opcode: .memmove, completionAddress: completion, operand1: source, operand2: destination, count: count)
    }

    /// Fill `count` bytes at `destination` with the 8-byte `pattern` (little-endian, repeated).
    public static func fill(pattern: UInt64, destination: UInt64, count: UInt32, completion: UInt64,
                            flags: DSAFlags = .polledCompletion) -> DSADescriptor {
        DSADescriptor(flags: flags, opcode: .memfill, completionAddress: completion, operand1: pattern, operand2: destination, count: count)
    }

    /// Process the `count` descriptors at `list` (64-byte aligned).
    public static func batch(list: UInt64, count: UInt32, completion: UInt64, flags: DSAFlags = .polledCompletion) -> DSADescriptor {
        DSADescriptor(flags: flags, opcode: .batch, completionAddress: completion, operand1: list, count: count)
    }

    /// Complete after every earlier descriptor of the queue.
    public static func drain(completion: UInt64, flags: DSAFlags = .polledCompletion) -> DSADescriptor {
        DSADescriptor(flags: flags, opcode: .drain, completionAddress: completion)
    }

    /// No operation.
    public static func noop(completion: UInt64, flags: DSAFlags = .polledCompletion) -> DSADescriptor {
        DSADescriptor(flags: flags, opcode: .noop, completionAddress: completion)
    }

    /// Checks what the encoding cannot represent or the device would reject outright.
    public func validate() throws(DMAError) {
        guard pasid <= 0xF_FFFF else { throw .invalidArgument("DSA descriptor: PASID \(pasid) does not fit 20 bits") }
        guard flags.rawValue <= 0xFF_FFFF else { throw .invalidArgument("DSA descriptor: flags 0x\(String(flags.rawValue, radix: 16)) do not fit 24 bits") }
        if flags.contains(.completionRecordAddressValid) {
            guard completionAddress != 0, completionAddress % Self.completionRecordAlignment == 0 else {
                throw .invalidArgument("DSA descriptor: completion record address 0x\(String(completionAddress, radix: 16)) must be non-zero and 32-byte aligned")
            }
        }
        switch opcode {
        case .memmove, .memfill:
            guard count > 0 else { throw .invalidArgument("DSA \(opcode): transfer size 0") }
        case .batch:
            guard count > 0 else { throw .invalidArgument("DSA batch: descriptor count 0") }
            guard operand1 % Self.descriptorListAlignment == 0 else {
                throw .invalidArgument("DSA batch: descriptor list 0x\(String(operand1, radix: 16)) must be 64-byte aligned")
            }
        case .noop, .drain:
            break
        }
    }

    /// The 64 encoded bytes.
    public func encoded() throws(DMAError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.size, alignment: 64)
        defer { buffer.deallocate() }
        try encode(into: buffer)
        return Array(buffer)
    }

    /// Encodes into `buffer` (at least 64 bytes), after ``validate()``.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(DMAError) {
        try validate()
        guard buffer.count >= Self.size else { throw .invalidArgument("DSA descriptor needs \(Self.size) bytes, buffer has \(buffer.count)") }
        let word0 = (pasid & 0xF_FFFF) | (privileged ? 1 << 31 : 0)
        let word1 = (flags.rawValue & 0xFF_FFFF) | UInt32(opcode.rawValue) << 24
        for index in 0..<Self.size { buffer[index] = 0 }
        buffer.storeBytes(of: word0.littleEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: word1.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: completionAddress.littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: operand1.littleEndian, toByteOffset: 16, as: UInt64.self)
        buffer.storeBytes(of: operand2.littleEndian, toByteOffset: 24, as: UInt64.self)
        buffer.storeBytes(of: count.littleEndian, toByteOffset: 32, as: UInt32.self)
        buffer.storeBytes(of: interruptHandle.littleEndian, toByteOffset: 36, as: UInt16.self)
    }
}
