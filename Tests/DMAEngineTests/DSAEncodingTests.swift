import CDSAReference
import DMADriverKit
import Testing
@testable import DMAEngineKit

/// The DSA encoder against the kernel's own definitions (linux/idxd.h): the C reference fills
/// `struct dsa_hw_desc` / `struct dsa_completion_record` field by field, the test compares bytes.
@Suite struct DSAEncodingTests {
    static func reference(_ d: DSADescriptor) -> [UInt8] {
        var fields = dmahost_ref_desc_fields(
            pasid: d.pasid, priv: d.privileged ? 1 : 0, flags: d.flags.rawValue, opcode: UInt32(d.opcode.rawValue),
            completion_addr: d.completionAddress, src_or_pattern_or_list: d.operand1, dst_addr: d.operand2,
            xfer_size_or_count: d.count, int_handle: d.interruptHandle)
        var out = [UInt8](repeating: 0xAA, count: 64)
        let size = out.withUnsafeMutableBufferPointer { dmahost_ref_dsa_desc(&fields, $0.baseAddress) }
        #expect(size == 64)
        return out
    }

    static func constant(_ name: String) -> UInt64? {
        var count = 0
        guard let list = dmahost_ref_constants(&count) else { return nil }
        for index in 0..<count where String(cString: list[index].name) == name { return list[index].value }
        return nil
    }

    @Test func opcodesMatchTheKernelHeader() {
        #expect(DSAOpcode.noop.rawValue == Self.constant("DSA_OPCODE_NOOP").map(UInt8.init))
        #expect(DSAOpcode.batch.rawValue == Self.constant("DSA_OPCODE_BATCH").map(UInt8.init))
        #expect(DSAOpcode.drain.rawValue == Self.constant("DSA_OPCODE_DRAIN").map(UInt8.init))
        #expect(DSAOpcode.memmove.rawValue == Self.constant("DSA_OPCODE_MEMMOVE").map(UInt8.init))
        #expect(DSAOpcode.memfill.rawValue == Self.constant("DSA_OPCODE_MEMFILL").map(UInt8.init))
        #expect(DSAOpcode.memmove.rawValue == 0x03 && DSAOpcode.memfill.rawValue == 0x04 && DSAOpcode.batch.rawValue == 0x01)
    }

    @Test func flagsMatchTheKernelHeader() {
        let pairs: [(DSAFlags, String)] = [
            (.fence, "IDXD_OP_FLAG_FENCE"), (.blockOnFault, "IDXD_OP_FLAG_BOF"), (.completionRecordAddressValid, "IDXD_OP_FLAG_CRAV"),
            (.requestCompletionRecord, "IDXD_OP_FLAG_RCR"), (.requestCompletionInterrupt, "IDXD_OP_FLAG_RCI"),
            (.completionRecordSteering, "IDXD_OP_FLAG_CRSTS"), (.checkResult, "IDXD_OP_FLAG_CR"), (.cacheControl, "IDXD_OP_FLAG_CC"),
            (.address1TrafficClass, "IDXD_OP_FLAG_ADDR1_TCS"), (.address2TrafficClass, "IDXD_OP_FLAG_ADDR2_TCS"),
            (.address3TrafficClass, "IDXD_OP_FLAG_ADDR3_TCS"), (.completionRecordTrafficClass, "IDXD_OP_FLAG_CR_TCS"),
            (.strictOrdering, "IDXD_OP_FLAG_STORD"), (.destinationReadback, "IDXD_OP_FLAG_DRDBK"), (.destinationSteering, "IDXD_OP_FLAG_DSTS"),
        ]
        for (flag, name) in pairs {
            #expect(UInt64(flag.rawValue) == Self.constant(name), "\(name)")
        }
    }

    @Test func statusCodesMatchTheKernelHeader() {
        let pairs: [(DSAStatus, String)] = [
            (.none, "DSA_COMP_NONE"), (.success, "DSA_COMP_SUCCESS"), (.successPredicateFalse, "DSA_COMP_SUCCESS_PRED"),
            (.pageFaultNoBOF, "DSA_COMP_PAGE_FAULT_NOBOF"), (.pageFaultIR, "DSA_COMP_PAGE_FAULT_IR"), (.batchFail, "DSA_COMP_BATCH_FAIL"),
            (.batchPageFault, "DSA_COMP_BATCH_PAGE_FAULT"), (.badOpcode, "DSA_COMP_BAD_OPCODE"), (.invalidFlags, "DSA_COMP_INVALID_FLAGS"),
            (.nonzeroReserved, "DSA_COMP_NOZERO_RESERVE"), (.transferSizeRange, "DSA_COMP_XFER_ERANGE"),
            (.descriptorCountRange, "DSA_COMP_DESC_CNT_ERANGE"), (.overlappingBuffers, "DSA_COMP_OVERLAP_BUFFERS"),
            (.descriptorListAlignment, "DSA_COMP_DESCLIST_ALIGN"), (.completionRecordTranslation, "DSA_COMP_CRA_XLAT"),
            (.completionRecordAlignment, "DSA_COMP_CRA_ALIGN"), (.addressAlignment, "DSA_COMP_ADDR_ALIGN"),
            (.privilege, "DSA_COMP_PRIV_BAD"), (.hardwareError, "DSA_COMP_HW_ERR1"), (.translationFailure, "DSA_COMP_TRANSLATION_FAIL"),
        ]
        for (status, name) in pairs {
            #expect(UInt64(status.rawValue) == Self.constant(name), "\(name)")
        }
    }

    @Test func fieldOffsetsMatchTheKernelStruct() {
        #expect(dmahost_ref_desc_offset("completion_addr") == 8)
        #expect(dmahost_ref_desc_offset("src_addr") == 16)
        #expect(dmahost_ref_desc_offset("dst_addr") == 24)
        #expect(dmahost_ref_desc_offset("xfer_size") == 32)
        #expect(dmahost_ref_desc_offset("int_handle") == 36)
        #expect(dmahost_ref_completion_offset("status") == 0)
        #expect(dmahost_ref_completion_offset("result") == 1)
        #expect(dmahost_ref_completion_offset("bytes_completed") == 4)
        #expect(dmahost_ref_completion_offset("fault_addr") == 8)
    }

    @Test func memmoveEncodesLikeTheKernelStruct() throws {
        let d = DSADescriptor.memmove(source: 0x7f00_1234_5000, destination: 0x7f00_9876_1000, count: 0x20_0000,
                                      completion: 0x7f00_0000_0040, flags: [.completionRecordAddressValid, .requestCompletionRecord, .cacheControl, .blockOnFault])
        let bytes = try d.encoded()
        #expect(bytes == Self.reference(d))
        #expect(bytes[7] == 0x03, "opcode in byte 7")
        #expect(bytes[4] == 0x0e && bytes[5] == 0x01, "flags CRAV|RCR|BOF = 0x0e, CC = 0x100")
    }

    @Test func fillBatchDrainNoopEncodeLikeTheKernelStruct() throws {
        let descriptors: [DSADescriptor] = [
            .fill(pattern: 0x0123_4567_89ab_cdef, destination: 0x5555_0000, count: 4096, completion: 0x1000_0020),
            .batch(list: 0x2000_0040, count: 17, completion: 0x1000_0060, flags: [.completionRecordAddressValid, .requestCompletionRecord, .fence]),
            .drain(completion: 0x1000_0080),
            .noop(completion: 0x1000_00a0, flags: .requestCompletionRecord),
        ]
        for d in descriptors {
            #expect(try d.encoded() == Self.reference(d), "\(d.opcode)")
        }
    }

    @Test func everyFieldRoundTripsThroughTheKernelStruct() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let opcode = DSAOpcode.allCases.randomElement(using: &generator) ?? .memmove
            let d = DSADescriptor(
                pasid: UInt32.random(in: 0...0xF_FFFF, using: &generator), privileged: Bool.random(using: &generator),
                flags: DSAFlags(rawValue: UInt32.random(in: 0...0xFF_FFFF, using: &generator)).subtracting(.completionRecordAddressValid),
                opcode: opcode, completionAddress: UInt64.random(in: 0...UInt64.max, using: &generator) & ~0x1f,
                operand1: opcode == .batch ? UInt64.random(in: 1...UInt64.max >> 8, using: &generator) << 6 : UInt64.random(in: 0...UInt64.max, using: &generator),
                operand2: UInt64.random(in: 0...UInt64.max, using: &generator), count: UInt32.random(in: 1...UInt32.max, using: &generator),
                interruptHandle: UInt16.random(in: 0...UInt16.max, using: &generator))
            #expect(try d.encoded() == Self.reference(d))
        }
    }

    @Test func unencodableDescriptorsAreRefused() {
        #expect(throws: DMAError.self) { try DSADescriptor(pasid: 0x10_0000, flags: [], opcode: .noop, completionAddress: 0).encoded() }
        #expect(throws: DMAError.self) { try DSADescriptor(flags: DSAFlags(rawValue: 0x100_0000), opcode: .noop, completionAddress: 0).encoded() }
        #expect(throws: DMAError.self) { try DSADescriptor.memmove(source: 1, destination: 2, count: 8, completion: 0x1010).encoded() }
        #expect(throws: DMAError.self) { try DSADescriptor.memmove(source: 1, destination: 2, count: 0, completion: 0x1000).encoded() }
        #expect(throws: DMAError.self) { try DSADescriptor.batch(list: 0x1020, count: 2, completion: 0x1000).encoded() }
        #expect(throws: DMAError.self) {
            let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
            defer { small.deallocate() }
            try DSADescriptor.noop(completion: 0x1000).encode(into: small)
        }
    }

    @Test func completionRecordDecodesTheKernelStruct() throws {
        var bytes = [UInt8](repeating: 0, count: 32)
        _ = bytes.withUnsafeMutableBufferPointer {
            dmahost_ref_dsa_completion(0x83, 0x5a, 0x1234_5678, 0x7fff_dead_b000, 0xab_cdef, $0.baseAddress)
        }
        let record = try bytes.withUnsafeBytes { try DSACompletionRecord(bytes: $0) }
        #expect(record.status == .pageFaultNoBOF)
        #expect(record.faultOnWrite)
        #expect(record.result == 0x5a)
        #expect(record.bytesCompleted == 0x1234_5678)
        #expect(record.faultAddress == 0x7fff_dead_b000)
        #expect(record.invalidFlags == 0xab_cdef)
        #expect(record.isRecoverablePageFault)

        _ = bytes.withUnsafeMutableBufferPointer { dmahost_ref_dsa_completion(0x01, 0, 0, 0, 0, $0.baseAddress) }
        let success = try bytes.withUnsafeBytes { try DSACompletionRecord(bytes: $0) }
        #expect(success.status == .success && !success.faultOnWrite && !success.isRecoverablePageFault)
        #expect(throws: DMAError.self) { try [UInt8](repeating: 0, count: 16).withUnsafeBytes { try DSACompletionRecord(bytes: $0) } }
    }

    @Test func statusesMapToErrnos() {
        #expect(DSAStatus.success.negativeErrno == 0)
        #expect(DSAStatus.pageFaultNoBOF.negativeErrno == -EFAULT)
        #expect(DSAStatus.transferSizeRange.negativeErrno == -EINVAL)
        #expect(DSAStatus.privilege.negativeErrno == -EPERM)
        #expect(DSAStatus.hardwareError.negativeErrno == -EIO)
        #expect(DSAStatus(rawValue: 0x7e).negativeErrno == -EIO)
        #expect(DSAStatus(rawValue: 0x81) == .success, "bit 7 is not part of the status code")
    }

    @Test func operationsSplitAtTheTransferLimitAndAdvanceAfterAFault() {
        let source = [Piece(address: 0x1000, length: 10), Piece(address: 0x3000, length: 6)]
        let destination = [Piece(address: 0x8000, length: 16)]
        let moves = DSAOperation.moves(from: source, to: destination, bytes: 16, maxRun: 4)
        #expect(moves.map(\.length) == [4, 4, 2, 4, 2])
        #expect(moves.first == .move(source: 0x1000, destination: 0x8000, length: 4))
        #expect(moves[3] == .move(source: 0x3000, destination: 0x800a, length: 4))
        #expect(DSAOperation.move(source: 0x1000, destination: 0x2000, length: 100).advanced(by: 40) == .move(source: 0x1028, destination: 0x2028, length: 60))
        let fills = DSAOperation.fills([Piece(address: 0x100, length: 9)], pattern: 0, maxRun: 4)
        #expect(fills == [.fill(destination: 0x100, length: 4, pattern: 0), .fill(destination: 0x104, length: 4, pattern: 0), .fill(destination: 0x108, length: 1, pattern: 0)])
    }
}

#if canImport(Glibc)
import Glibc
#endif
