import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads and writes buffers of one domain from the host: with `memcpy` for the system domain,
/// directly through the domain's translation to system memory when it has a usable one, else
/// through the domain's own push and pull.
struct EndpointAccess {
    let endpoint: Endpoint
    /// How long a push or pull may take once the domain accepted it.
    let timeout: Duration

    /// Puts the bytes of `pattern` (system memory, `pattern.length` bytes) into `segments` of
    /// the domain (as many bytes).
    /// - Returns: How the bytes got there, for reports.
    func write(_ pattern: SegmentedBuffer, into segments: UnsafeMutableBufferPointer<iovec>) async throws(Failure) -> String {
        if endpoint.isSystem {
            Self.copy(pattern.base, into: segments.map { UnsafeMutableRawBufferPointer(start: $0.iov_base, count: $0.iov_len) })
            return "memcpy (system memory)"
        }
        if let pieces = try systemView(of: segments) {
            Self.copy(pattern.base, into: pieces)
            return "a direct write through the domain's translation to system memory"
        }
        try await Self.perform("push the pattern into \(endpoint.name)") { () async throws(DMAError) in
            try await endpoint.domain.push(into: segments, from: pattern.iovecs, timeout: timeout)
        }
        return "\(endpoint.name)'s push"
    }

    /// Copies `segments` of the domain into the system buffer `result` (`result.length` bytes).
    /// - Returns: How the bytes were read, for reports.
    func read(_ segments: UnsafeMutableBufferPointer<iovec>, into result: SegmentedBuffer) async throws(Failure) -> String {
        if endpoint.isSystem {
            Self.copy(from: segments.map { UnsafeMutableRawBufferPointer(start: $0.iov_base, count: $0.iov_len) }, into: result.base)
            return "memcpy (system memory)"
        }
        if let pieces = try systemView(of: segments) {
            Self.copy(from: pieces, into: result.base)
            return "a direct read through the domain's translation to system memory"
        }
        try await Self.perform("pull the result out of \(endpoint.name)") { () async throws(DMAError) in
            try await endpoint.domain.pull(from: segments, into: result.iovecs, timeout: timeout)
        }
        return "\(endpoint.name)'s pull"
    }

    /// The system-memory view of `segments` in the domain, from the domain's translation into
    /// the system domain; nil when the domain cannot translate (or translates only part).
    /// - Throws: ``Failure`` when the translation succeeded but describes memory that cannot be
    ///   valid (see ``TranslationCheck``): the driver's translate is broken.
    func systemView(of segments: UnsafeMutableBufferPointer<iovec>) throws(Failure) -> [UnsafeMutableRawBufferPointer]? {
        var pieces: [UnsafeMutableRawBufferPointer] = []
        for segment in segments {
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

    /// Runs one operation; a timeout becomes ``ExitStatus/timedOut``, any other error ``ExitStatus/failed``.
    static func perform(_ what: String, _ body: () async throws(DMAError) -> Void) async throws(Failure) {
        do throws(DMAError) {
            try await body()
        } catch where error.errno == ETIMEDOUT {
            throw Failure(.timedOut, "\(what): \(error.message)")
        } catch {
            throw Failure(.failed, "\(what): \(error.message)")
        }
    }

    /// Copies consecutive bytes from `source` into `pieces`, in order.
    private static func copy(_ source: UnsafeRawPointer, into pieces: [UnsafeMutableRawBufferPointer]) {
        var offset = 0
        for piece in pieces {
            if let target = piece.baseAddress { memcpy(target, source + offset, piece.count) }
            offset += piece.count
        }
    }

    /// Copies `pieces`, in order, into consecutive bytes at `target`.
    private static func copy(from pieces: [UnsafeMutableRawBufferPointer], into target: UnsafeMutableRawPointer) {
        var offset = 0
        for piece in pieces {
            if let origin = piece.baseAddress { memcpy(target + offset, origin, piece.count) }
            offset += piece.count
        }
    }
}
