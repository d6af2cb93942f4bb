import DMAHost
import SeededRandom
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How one stress operation ended.
enum StressOutcome: Sendable {
    /// Completed with 0 and every byte checked out.
    case completed(bytes: Int, latency: Duration)
    /// Completed with 0, but a byte of the destination, a guard byte or the source is wrong.
    case verifyFailed(String)
    /// Refused or completed with an error (or preparing or reading its buffers failed).
    case failed(String)
    /// Did not complete within the timeout; its buffers are kept for the rest of the process.
    case timedOut(String)
    /// A transfer the destination refused with ENOTSUP for this source domain: the pair
    /// cannot transfer (not an error).
    case unsupported(source: String)
}

/// One operation of a random shape on a device, and the check of every byte it may have
/// touched: the destination's described bytes, its guard bytes and the source.
///
/// Each buffer gets a random image of its whole allocation (guard bytes included) before the
/// operation, written and read back through ``EndpointAccess`` as `dmactl copy` does.
struct StressOperation {
    let kind: StressKind
    /// The device under test.
    let target: Endpoint
    /// The other side: the system domain (push, pull), a peer (transfer); unused by memzero.
    let peer: Endpoint
    let shape: StressShape
    /// Seed of the images (printed with a failure).
    let seed: UInt64
    let timeout: Duration

    /// A buffer of a domain and the image it held before the operation.
    private struct Side {
        let access: EndpointAccess
        let buffer: SegmentedBuffer
        let image: SegmentedBuffer
    }

    /// What the operation was, for messages: "push 4097 bytes, 3 → 2 segments into cpu:0 (seed 0x…)".
    var label: String {
        let seedText = "seed 0x" + String(seed, radix: 16)
        return switch kind {
        case .push: "push \(shape) into \(target.name) (\(seedText))"
        case .pull: "pull \(shape) out of \(target.name) (\(seedText))"
        case .memzero: "memzero \(shape.size) bytes, \(shape.destinationLengths.count) segments in \(target.name) (\(seedText))"
        case .transfer: "transfer \(shape) from \(peer.name) into \(target.name) (\(seedText))"
        }
    }

    /// Runs the operation and checks it.
    func run() async -> StressOutcome {
        var held: [SegmentedBuffer] = []
        do throws(Failure) {
            return try await runChecked(holding: &held)
        } catch {
            guard error.status == .timedOut else { return .failed("\(label): \(error.message)") }
            // The device may still access them: they never go back to the allocator.
            for buffer in held { AbandonedMemory.keep(buffer) }
            return .timedOut("\(label): \(error.message)")
        }
    }

    private func runChecked(holding held: inout [SegmentedBuffer]) async throws(Failure) -> StressOutcome {
        var generator = SeededGenerator(seed: seed)
        let system = Endpoint(name: "system", domain: .system, alignment: 1)
        let (destinationEndpoint, sourceEndpoint): (Endpoint, Endpoint?) = switch kind {
        case .push: (target, system)
        case .pull: (system, target)
        case .memzero: (target, nil)
        case .transfer: (target, peer)
        }
        let destination = try await side(destinationEndpoint, lengths: shape.destinationLengths, lead: shape.destinationLead,
                                          using: &generator, holding: &held)
        var source: Side?
        if let sourceEndpoint {
            source = try await side(sourceEndpoint, lengths: shape.sourceLengths, lead: shape.sourceLead, using: &generator, holding: &held)
        }

        let start = ContinuousClock.now
        if let outcome = try await submit(destination.buffer, source?.buffer) { return outcome }
        let latency = start.duration(to: .now)

        let expected = try copy(of: destination.image, holding: &held)
        let payload = expected.allocationBase + shape.destinationLead
        if let source {
            memcpy(payload, source.image.allocationBase + shape.sourceLead, shape.size)
        } else {
            memset(payload, 0, shape.size)
        }
        if let problem = try await check(destination, against: expected, role: "destination", holding: &held) {
            return .verifyFailed("\(label): \(problem)")
        }
        if let source, let problem = try await check(source, against: source.image, role: "source", holding: &held) {
            return .verifyFailed("\(label): \(problem) (a source must not change)")
        }
        return .completed(bytes: shape.size, latency: latency)
    }

    /// Submits the operation itself and waits for its completion.
    /// - Returns: nil when it completed with 0; ``StressOutcome/unsupported(source:)`` for a
    ///   transfer refused with ENOTSUP.
    private func submit(_ destination: SegmentedBuffer, _ source: SegmentedBuffer?) async throws(Failure) -> StressOutcome? {
        let domain = target.domain
        do throws(DMAError) {
            switch kind {
            case .push:
                if let source { try await domain.push(into: destination.iovecs, from: source.iovecs, timeout: timeout) }
            case .pull:
                if let source { try await domain.pull(from: source.iovecs, into: destination.iovecs, timeout: timeout) }
            case .memzero:
                try await domain.memzero(destination.iovecs, timeout: timeout)
            case .transfer:
                if let source { try await domain.transfer(into: destination.iovecs, from: peer.domain, source.iovecs, timeout: timeout) }
            }
            return nil
        } catch where kind == .transfer && error.errno == ENOTSUP {
            return .unsupported(source: peer.name)
        } catch {
            throw Failure(error.errno == ETIMEDOUT ? .timedOut : .failed, error.message)
        }
    }

    /// Allocates a buffer in `endpoint`'s domain and writes a random image of its whole allocation into it.
    private func side(_ endpoint: Endpoint, lengths: [Int], lead: Int, using generator: inout SeededGenerator,
                      holding held: inout [SegmentedBuffer]) async throws(Failure) -> Side {
        let buffer = try SegmentedBuffer(for: endpoint, length: shape.size, alignment: max(endpoint.alignment, 1), lengths: lengths,
                                         lead: lead, trail: StressShape.guardBytes)
        held.append(buffer)
        let total = buffer.allocation.count
        let image = try SegmentedBuffer(length: total, alignment: 64, lengths: [total])
        held.append(image)
        Self.fill(image.allocation, using: &generator)
        // A memzero that does nothing must show: the first and last bytes to zero are not zero.
        image.allocation[lead] |= 0x80
        image.allocation[lead + shape.size - 1] |= 0x80
        let access = EndpointAccess(endpoint: endpoint, timeout: timeout)
        _ = try await access.write(image, into: buffer.span)
        return Side(access: access, buffer: buffer, image: image)
    }

    /// Reads `side`'s whole allocation back and compares it with `expected`.
    /// - Returns: The first difference, described; nil when every byte matches.
    private func check(_ side: Side, against expected: SegmentedBuffer, role: String,
                       holding held: inout [SegmentedBuffer]) async throws(Failure) -> String? {
        let total = expected.allocation.count
        let found = try SegmentedBuffer(length: total, alignment: 64, lengths: [total])
        held.append(found)
        _ = try await side.access.read(side.buffer.span, into: found)
        guard memcmp(found.allocationBase, expected.allocationBase, total) != 0 else { return nil }
        let (want, got) = (expected.allocation, found.allocation)
        let differing = (0..<total).filter { want[$0] != got[$0] }
        guard let first = differing.first else { return nil }
        let (lead, size) = (side.buffer.lead, shape.size)
        let place = first < lead ? "guard byte \(lead - first) before the \(role)"
            : first >= lead + size ? "guard byte \(first - lead - size + 1) after the \(role)"
            : "\(role) byte \(first - lead) of \(size)"
        return "\(place) is 0x\(String(got[first], radix: 16)), expected 0x\(String(want[first], radix: 16)) "
            + "(\(differing.count) byte(s) differ, read by \(side.access.endpoint.isSystem ? "memcpy" : side.access.endpoint.name))"
    }

    private func copy(of image: SegmentedBuffer, holding held: inout [SegmentedBuffer]) throws(Failure) -> SegmentedBuffer {
        let total = image.allocation.count
        let result = try SegmentedBuffer(length: total, alignment: 64, lengths: [total])
        held.append(result)
        memcpy(result.allocationBase, image.allocationBase, total)
        return result
    }

    /// Bytes of random data that repeat in an image: a prime, so that a byte copied to or from
    /// the wrong place shows unless it moved by a multiple of this (never a page multiple).
    static let imagePeriod = 65_521

    /// Fills `bytes` from `generator`: ``imagePeriod`` random bytes, eight at a time (the
    /// buffer is 8-byte aligned), then copies of them, so that large images cost little to make.
    static func fill(_ bytes: UnsafeMutableRawBufferPointer, using generator: inout SeededGenerator) {
        guard let base = bytes.baseAddress else { return }
        let random = min(bytes.count, imagePeriod)
        let words = random / 8
        for index in 0..<words { base.storeBytes(of: generator.next(), toByteOffset: index * 8, as: UInt64.self) }
        for index in words * 8..<random { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        var filled = random
        while filled < bytes.count {
            let chunk = min(filled - filled % imagePeriod, bytes.count - filled)
            memcpy(base + filled, base, chunk)
            filled += chunk
        }
    }
}
