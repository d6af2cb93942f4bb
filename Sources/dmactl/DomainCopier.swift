import DMABench
import DMAHost
import SeededRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What one copy did and found.
struct CopyReport {
    /// "push", "pull", "transfer" or "pull+push (bounce buffer)".
    var method: String
    /// Why transfer was not used, when it was not.
    var fallbackReason: String?
    /// How the pattern got into the source buffer.
    var sourceAccess: String
    /// How the destination buffer was read back.
    var destinationAccess: String
    /// The first differing byte, if any.
    var mismatch: (offset: Int, expected: UInt8, found: UInt8)?
    /// Time of the move itself (not of preparing or verifying).
    var elapsed: Duration
}

/// Moves a random pattern from one domain to another through the domains' own operations and
/// checks it byte for byte. The buffers are written and read through ``EndpointAccess``.
struct DomainCopier {
    let source: Endpoint
    let destination: Endpoint
    let size: Int
    let segments: Int
    /// How long each operation may take once its domain accepted it.
    let timeout: Duration

    func run(using generator: inout SeededGenerator) async throws(Failure) -> CopyReport {
        try checkMemory()
        let alignment = max(source.alignment, destination.alignment, 1)
        let pattern = try SegmentedBuffer(length: size, alignment: 64, lengths: [size])
        generator.fill(pattern.bytes)
        let from = try SegmentedBuffer(for: source, length: size, alignment: alignment,
            lengths: SegmentedBuffer.layout(length: size, count: segments, alignment: alignment, using: &generator))
        let to = try SegmentedBuffer(for: destination, length: size, alignment: alignment,
            lengths: SegmentedBuffer.layout(length: size, count: segments, alignment: alignment, using: &generator))
        if destination.remoteContext == nil {
            to.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        } else {
            // A remote buffer is not mapped here: it is zeroed by its domain.
            try await EndpointAccess.perform("zero the destination in \(destination.name)") { () async throws(DMAError) in
                try await destination.domain.memzero(to.iovecs, timeout: timeout)
            }
        }
        let result = try SegmentedBuffer(length: size, alignment: 64, lengths: [size])

        let sourceAccess: String, destinationAccess: String, method: String, fallback: String?, elapsed: Duration
        do throws(Failure) {
            sourceAccess = try await EndpointAccess(endpoint: source, timeout: timeout).write(pattern, into: from.iovecs)
            let start = ContinuousClock.now
            (method, fallback) = try await move(from, to)
            elapsed = start.duration(to: .now)
            destinationAccess = try await EndpointAccess(endpoint: destination, timeout: timeout).read(to.iovecs, into: result)
        } catch {
            if error.status == .timedOut { Self.abandon([pattern, from, to, result]) }
            throw error
        }

        var mismatch: (Int, UInt8, UInt8)?
        if memcmp(pattern.base, result.base, size) != 0,
           let offset = (0..<size).first(where: { pattern.bytes[$0] != result.bytes[$0] }) {
            mismatch = (offset, pattern.bytes[offset], result.bytes[offset])
        }
        return CopyReport(method: method, fallbackReason: fallback, sourceAccess: sourceAccess,
                          destinationAccess: destinationAccess, mismatch: mismatch, elapsed: elapsed)
    }

    /// Refuses a size whose buffers do not fit in memory: the pattern, the source, the
    /// destination, the read-back copy and, between two devices, a possible bounce buffer.
    private func checkMemory() throws(Failure) {
        let bounce = !source.isSystem && !destination.isSystem
        do throws(DMAError) {
            try MemoryBudget.current().check(buffers: bounce ? 5 : 4, of: size, for: "a copy of \(ByteSize(bytes: size))",
                                             parts: "pattern, source, destination, read-back" + (bounce ? ", bounce buffer" : ""),
                                             advice: "lower --size")
        } catch {
            throw Failure(.failed, error.message)
        }
    }

    /// The move itself, through the domains' operations.
    private func move(_ from: SegmentedBuffer, _ to: SegmentedBuffer) async throws(Failure) -> (String, String?) {
        if source.isSystem {
            try await EndpointAccess.perform("push into \(destination.name)") { () async throws(DMAError) in
                try await destination.domain.push(into: to.iovecs, from: from.iovecs, timeout: timeout)
            }
            return ("push", nil)
        }
        if destination.isSystem {
            try await EndpointAccess.perform("pull from \(source.name)") { () async throws(DMAError) in
                try await source.domain.pull(from: from.iovecs, into: to.iovecs, timeout: timeout)
            }
            return ("pull", nil)
        }
        do throws(DMAError) {
            try await destination.domain.transfer(into: to.iovecs, from: source.domain, from.iovecs, timeout: timeout)
            return ("transfer", nil)
        } catch where error.errno == ENOTSUP {
            let bounce = try SegmentedBuffer(length: size, alignment: 64, lengths: [size])
            do throws(Failure) {
                try await EndpointAccess.perform("pull from \(source.name) into the bounce buffer") { () async throws(DMAError) in
                    try await source.domain.pull(from: from.iovecs, into: bounce.iovecs, timeout: timeout)
                }
                try await EndpointAccess.perform("push from the bounce buffer into \(destination.name)") { () async throws(DMAError) in
                    try await destination.domain.push(into: to.iovecs, from: bounce.iovecs, timeout: timeout)
                }
            } catch {
                if error.status == .timedOut { Self.abandon([bounce]) }
                throw error
            }
            return ("pull+push (bounce buffer)", error.message)
        } catch {
            throw Failure(error.errno == ETIMEDOUT ? .timedOut : .failed, "transfer from \(source.name) into \(destination.name): \(error.message)")
        }
    }

    /// Keeps `buffers` allocated for the rest of the process: after a timeout the device may
    /// still write into them, so they must never go back to the allocator.
    private static func abandon(_ buffers: [SegmentedBuffer]) {
        for buffer in buffers { AbandonedMemory.keep(buffer) }
    }
}
