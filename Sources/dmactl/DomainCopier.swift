import DMABench
import DMAHost
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
/// checks it byte for byte.
struct DomainCopier {
    let source: Endpoint
    let destination: Endpoint
    let size: Int
    let segments: Int
    /// How long each operation may take once its domain accepted it.
    let timeout: Duration

    func run<G: RandomNumberGenerator>(using generator: inout G) async throws(Failure) -> CopyReport {
        try checkMemory()
        let alignment = max(source.alignment, destination.alignment, 1)
        let pattern = try SegmentedBuffer(length: size, alignment: 64, lengths: [size])
        for index in 0..<size { pattern.bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let from = try SegmentedBuffer(for: source, length: size, alignment: alignment,
            lengths: SegmentedBuffer.layout(length: size, count: segments, alignment: alignment, using: &generator))
        let to = try SegmentedBuffer(for: destination, length: size, alignment: alignment,
            lengths: SegmentedBuffer.layout(length: size, count: segments, alignment: alignment, using: &generator))
        to.bytes.initializeMemory(as: UInt8.self, repeating: 0)
        let result = try SegmentedBuffer(length: size, alignment: 64, lengths: [size])

        let sourceAccess: String, destinationAccess: String, method: String, fallback: String?, elapsed: Duration
        do throws(Failure) {
            sourceAccess = try await write(pattern, into: from, of: source)
            let start = ContinuousClock.now
            (method, fallback) = try await move(from, to)
            elapsed = start.duration(to: .now)
            destinationAccess = try await read(to, of: destination, into: result)
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

    /// The system-memory view of `buffer` in `endpoint`'s domain, from the domain's translation
    /// into the system domain; nil when the domain cannot translate (or translates only part).
    /// - Throws: ``Failure`` when the translation succeeded but describes memory that cannot be
    ///   valid (see ``TranslationCheck``): the driver's translate is broken.
    private func systemView(of buffer: SegmentedBuffer, in endpoint: Endpoint) throws(Failure) -> [UnsafeMutableRawBufferPointer]? {
        var pieces: [UnsafeMutableRawBufferPointer] = []
        for segment in buffer.iovecs {
            guard let base = segment.iov_base, segment.iov_len > 0 else { continue }
            guard let result = try? endpoint.domain.translate(base, length: segment.iov_len, to: .system) else { return nil }
            do throws(TranslationProblem) {
                guard let translated = try TranslationCheck.pieces(of: result, length: segment.iov_len) else { return nil }
                pieces += translated
            } catch {
                throw Failure(.failed, "\(endpoint.name)'s translate of \(segment.iov_len) bytes at \(base) to system memory returned "
                              + "an unusable result: \(error); nothing was read or written through it. The driver's translate callback is broken")
            }
        }
        return pieces
    }

    /// Puts `pattern` into `buffer` as `endpoint` sees it.
    private func write(_ pattern: SegmentedBuffer, into buffer: SegmentedBuffer, of endpoint: Endpoint) async throws(Failure) -> String {
        if endpoint.isSystem {
            memcpy(buffer.base, pattern.base, size)
            return "memcpy (system memory)"
        }
        if let pieces = try systemView(of: buffer, in: endpoint) {
            var offset = 0
            for piece in pieces {
                if let target = piece.baseAddress { memcpy(target, pattern.base + offset, piece.count) }
                offset += piece.count
            }
            return "a direct write through the domain's translation to system memory"
        }
        try await perform("push the pattern into \(endpoint.name)") { () async throws(DMAError) in
            try await endpoint.domain.push(into: buffer.iovecs, from: pattern.iovecs, timeout: timeout)
        }
        return "\(endpoint.name)'s push"
    }

    /// Copies `buffer` as `endpoint` sees it into the system buffer `result`.
    private func read(_ buffer: SegmentedBuffer, of endpoint: Endpoint, into result: SegmentedBuffer) async throws(Failure) -> String {
        if endpoint.isSystem {
            memcpy(result.base, buffer.base, size)
            return "memcpy (system memory)"
        }
        if let pieces = try systemView(of: buffer, in: endpoint) {
            var offset = 0
            for piece in pieces {
                if let origin = piece.baseAddress { memcpy(result.base + offset, origin, piece.count) }
                offset += piece.count
            }
            return "a direct read through the domain's translation to system memory"
        }
        try await perform("pull the result out of \(endpoint.name)") { () async throws(DMAError) in
            try await endpoint.domain.pull(from: buffer.iovecs, into: result.iovecs, timeout: timeout)
        }
        return "\(endpoint.name)'s pull"
    }

    /// The move itself, through the domains' operations.
    private func move(_ from: SegmentedBuffer, _ to: SegmentedBuffer) async throws(Failure) -> (String, String?) {
        if source.isSystem {
            try await perform("push into \(destination.name)") { () async throws(DMAError) in
                try await destination.domain.push(into: to.iovecs, from: from.iovecs, timeout: timeout)
            }
            return ("push", nil)
        }
        if destination.isSystem {
            try await perform("pull from \(source.name)") { () async throws(DMAError) in
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
                try await perform("pull from \(source.name) into the bounce buffer") { () async throws(DMAError) in
                    try await source.domain.pull(from: from.iovecs, into: bounce.iovecs, timeout: timeout)
                }
                try await perform("push from the bounce buffer into \(destination.name)") { () async throws(DMAError) in
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

    /// Runs one operation; a timeout becomes ``ExitStatus/timedOut``, any other error ``ExitStatus/failed``.
    private func perform(_ what: String, _ body: () async throws(DMAError) -> Void) async throws(Failure) {
        do throws(DMAError) {
            try await body()
        } catch where error.errno == ETIMEDOUT {
            throw Failure(.timedOut, "\(what): \(error.message)")
        } catch {
            throw Failure(.failed, "\(what): \(error.message)")
        }
    }

    /// Keeps `buffers` allocated for the rest of the process: after a timeout the device may
    /// still write into them, so they must never go back to the allocator.
    private static func abandon(_ buffers: [SegmentedBuffer]) {
        for buffer in buffers { AbandonedMemory.keep(buffer) }
    }
}
