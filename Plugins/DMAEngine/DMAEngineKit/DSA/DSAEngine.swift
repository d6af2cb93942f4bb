import CIDXD
import DMABuf
import DMADriverKit
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One descriptor's worth of work.
enum DSAOperation: Sendable, Hashable {
    /// MEMMOVE `length` bytes.
    case move(source: UInt, destination: UInt, length: Int)
    /// MEMFILL `length` bytes with `pattern`.
    case fill(destination: UInt, length: Int, pattern: UInt64)

    /// The descriptor for this operation.
    func descriptor(completion: UInt64, flags: DSAFlags) -> DSADescriptor {
        switch self {
        case .move(let source, let destination, let length):
            .memmove(source: UInt64(source), destination: UInt64(destination), count: UInt32(length), completion: completion, flags: flags)
        case .fill(let destination, let length, let pattern):
            .fill(pattern: pattern, destination: UInt64(destination), count: UInt32(length), completion: completion, flags: flags)
        }
    }

    /// What remains after the device completed `done` bytes.
    func advanced(by done: Int) -> DSAOperation {
        switch self {
        case .move(let source, let destination, let length):
            .move(source: source + UInt(done), destination: destination + UInt(done), length: length - done)
        case .fill(let destination, let length, let pattern):
            .fill(destination: destination + UInt(done), length: length - done, pattern: pattern)
        }
    }

    /// Bytes this operation covers.
    var length: Int {
        switch self {
        case .move(_, _, let length), .fill(_, let length, _): length
        }
    }

    /// Splits a copy into descriptors of at most `maxRun` bytes, contiguous on both sides.
    static func moves(from source: [Piece], to destination: [Piece], bytes: Int, maxRun: Int) -> [DSAOperation] {
        SegmentPairs(source: source, destination: destination, bytes: bytes, maxRun: maxRun).map {
            .move(source: $0.source, destination: $0.destination, length: $0.length)
        }
    }

    /// Splits a fill into descriptors of at most `maxRun` bytes.
    static func fills(_ pieces: [Piece], pattern: UInt64, maxRun: Int) -> [DSAOperation] {
        var operations: [DSAOperation] = []
        for piece in pieces {
            var offset = 0
            while offset < piece.length {
                let length = min(piece.length - offset, max(1, maxRun))
                operations.append(.fill(destination: piece.address + UInt(offset), length: length, pattern: pattern))
                offset += length
            }
        }
        return operations
    }
}

/// The data path of a DSA work-queue domain: operations become descriptors submitted to the
/// queue from the domain's worker thread, whose completion records are polled (with a timeout).
/// Page faults the device reports (block-on-fault off) are resolved by touching the page and
/// resubmitting the rest. Nothing here copies on the CPU.
final class DSAEngine: Sendable {
    /// The domain id (the device id, "dmaengine:wq0.0").
    let domainID: String
    /// The queue.
    let queue: DSAWorkQueue
    /// Where operations run.
    let worker: Worker
    /// The host that created the domain.
    let host: HostAPI
    /// Longest wait for one window of descriptors.
    let timeout: Duration
    /// Flags of every descriptor.
    let flags: DSAFlags
    /// Page-fault resubmissions allowed per descriptor.
    static let faultRetries = 64
    /// Stride of completion records (64 also satisfies IAX's alignment).
    static let recordStride = 64

    init(domainID: String, queue: DSAWorkQueue, host: HostAPI, timeout: Duration = .seconds(5)) {
        self.domainID = domainID
        self.queue = queue
        self.worker = Worker(label: "dmahost.\(domainID)", limit: 1024)
        self.host = host
        self.timeout = timeout
        var flags = DSAFlags.polledCompletion.union(.cacheControl)
        if queue.info.blockOnFault == true { flags.insert(.blockOnFault) }
        self.flags = flags
    }

    /// Queues `operations` on the worker; `completion` gets 0 or the first error.
    func start(_ operations: [DSAOperation], completion: Completion) -> Int32 {
        guard worker.reserve() else { return -EAGAIN }
        worker.run { [self] in completion(execute(operations)) }
        return 0
    }

    /// Runs `operations` window by window; returns 0 or a negated errno.
    func execute(_ operations: [DSAOperation]) -> Int32 {
        let window = queue.window
        let descriptors = UnsafeMutableRawPointer.allocate(byteCount: window * DSADescriptor.size, alignment: 64)
        let records = UnsafeMutableRawPointer.allocate(byteCount: window * Self.recordStride, alignment: 64)
        var index = 0
        var failure: Int32 = 0
        var deviceMayStillWrite = false
        while index < operations.count && failure == 0 {
            let batch = Array(operations[index..<min(index + window, operations.count)])
            var submitted = 0
            for (slot, operation) in batch.enumerated() {
                do throws(DMAError) {
                    try submit(operation, slot: slot, descriptors: descriptors, records: records)
                    submitted += 1
                } catch {
                    host.log(.error, "\(domainID): submit failed: \(error.message)")
                    failure = error.negativeErrno
                    break
                }
            }
            for slot in 0..<submitted {
                let rc = finish(batch[slot], slot: slot, descriptors: descriptors, records: records)
                if rc == -ETIMEDOUT { deviceMayStillWrite = true }
                if failure == 0 { failure = rc }
            }
            index += batch.count
        }
        if deviceMayStillWrite {
            // The device may still write these: leaking them is the only safe choice.
            host.log(.error, "\(domainID): descriptors timed out after \(timeout); their memory is kept (not freed) in case the device still writes it")
        } else {
            descriptors.deallocate()
            records.deallocate()
        }
        return failure
    }

    private func submit(_ operation: DSAOperation, slot: Int, descriptors: UnsafeMutableRawPointer, records: UnsafeMutableRawPointer) throws(DMAError) {
        let record = records + slot * Self.recordStride
        memset(record, 0, Self.recordStride)
        let descriptor = descriptors + slot * DSADescriptor.size
        try operation.descriptor(completion: UInt64(UInt(bitPattern: record)), flags: flags)
            .encode(into: UnsafeMutableRawBufferPointer(start: descriptor, count: DSADescriptor.size))
        try queue.submit(descriptor)
    }

    /// Polls one slot to completion, resolving page faults; returns 0 or a negated errno.
    private func finish(_ operation: DSAOperation, slot: Int, descriptors: UnsafeMutableRawPointer, records: UnsafeMutableRawPointer) -> Int32 {
        var current = operation
        for _ in 0...Self.faultRetries {
            let record = records + slot * Self.recordStride
            guard poll(record) else { return -ETIMEDOUT }
            atomicMemoryFence(ordering: .acquiring)
            guard let decoded = try? DSACompletionRecord(bytes: UnsafeRawBufferPointer(start: record, count: DSACompletionRecord.size)) else { return -EIO }
            if decoded.status == .success { return 0 }
            guard decoded.isRecoverablePageFault, Int(decoded.bytesCompleted) < current.length,
                  let fault = UnsafeMutableRawPointer(bitPattern: UInt(decoded.faultAddress)) else {
                host.log(.error, "\(domainID): descriptor completed with \(decoded.status)")
                return decoded.status.negativeErrno
            }
            dmahost_idxd_touch(fault, decoded.faultOnWrite ? 1 : 0)
            current = current.advanced(by: Int(decoded.bytesCompleted))
            do throws(DMAError) {
                try submit(current, slot: slot, descriptors: descriptors, records: records)
            } catch {
                return error.negativeErrno
            }
        }
        return -EFAULT
    }

    /// Spins until the record's status is written or the timeout passes.
    private func poll(_ record: UnsafeMutableRawPointer) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var spins = 0
        while dmahost_idxd_completion_status(record) == 0 {
            dmahost_idxd_pause()
            spins += 1
            if spins % 1024 == 0 && clock.now >= deadline { return false }
        }
        return true
    }
}
