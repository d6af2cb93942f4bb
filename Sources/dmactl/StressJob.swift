import DMAHost
import DriverHost
import SeededRandom

/// What `dmactl stress` was asked to do.
struct StressSettings: Sendable {
    /// How long the jobs submit.
    var duration: Duration
    /// The largest operation, in bytes.
    var maxSize: Int
    /// The most segments per side of an operation.
    var maxSegments: Int
    /// Submitting jobs per device.
    var jobs: Int
    /// How long each operation may take once its domain accepted it.
    var timeout: Duration
    /// Seed of every job's operations.
    var seed: UInt64
    /// Threads that create and destroy domains, and threads that walk the registry.
    var churnThreads: Int
    var walkThreads: Int
}

/// A domain operations run on or come from: an opened device's, or the system domain.
struct StressTarget: Sendable {
    let endpoint: Endpoint
    /// The device's description; nil for the system domain.
    let info: DMADeviceInfo?

    /// The system domain as a transfer source.
    static let system = StressTarget(endpoint: Endpoint(name: "system", domain: .system, alignment: 1), info: nil)

    /// The kinds the device declares: push and pull (copy), memzero (fill), transfer.
    var kinds: [StressKind] {
        guard let capabilities = info?.capabilities else { return [] }
        return (capabilities.contains(.copy) ? [.push, .pull] : []) + (capabilities.contains(.fill) ? [.memzero] : [])
            + (capabilities.contains(.transfer) ? [.transfer] : [])
    }

    /// `limit`, or less when the device's largest transfer is smaller.
    func maxSize(_ limit: Int) -> Int {
        guard let largest = info?.maxTransferSize else { return limit }
        return Int(clamping: min(UInt64(limit), largest))
    }

    /// `limit`, or less when the device takes fewer segments (1 without scatter-gather).
    func maxSegments(_ limit: Int) -> Int {
        guard let info else { return limit }
        guard info.capabilities.contains(.scatterGather) else { return 1 }
        return info.maxSGE.map { max(1, min(limit, Int($0))) } ?? limit
    }
}

/// One submitting job of one device: operations of random kinds and shapes, one at a time,
/// until the deadline. Several jobs per device keep several operations in flight.
struct StressJob: Sendable {
    /// The device's index in the tally.
    let index: Int
    let target: StressTarget
    /// Transfer sources: the system domain and every device under test (this one included).
    let peers: [StressTarget]
    let settings: StressSettings
    let seed: UInt64

    /// Submits until `deadline`, or until an operation times out (the job then stops: the
    /// device may still hold that operation's buffers).
    func run(until deadline: ContinuousClock.Instant, tally: StressTally) async {
        defer { tally.jobFinished() }
        var generator = SeededGenerator(seed: seed)
        var kinds = target.kinds
        var peers = self.peers
        while ContinuousClock.now < deadline, let kind = kinds.randomElement(using: &generator) {
            let peer = kind == .transfer ? peers.randomElement(using: &generator) ?? .system : .system
            let sides = kind == .transfer ? [target, peer] : [target]
            let shape = StressShape.random(maxSize: sides.map { $0.maxSize(settings.maxSize) }.min() ?? settings.maxSize,
                                           maxSegments: sides.map { $0.maxSegments(settings.maxSegments) }.min() ?? 1,
                                           alignment: sides.map(\.endpoint.alignment).max() ?? 1, using: &generator)
            let operation = StressOperation(kind: kind, target: target.endpoint, peer: peer.endpoint, shape: shape,
                                            seed: generator.next(), timeout: settings.timeout)
            tally.submitted(index)
            let outcome = await operation.run()
            tally.ended(index, kind, outcome)
            switch outcome {
            case .timedOut:
                return
            case .unsupported(let source):
                peers.removeAll { $0.endpoint.name == source }
                if peers.isEmpty { kinds.removeAll { $0 == .transfer } }
            default:
                break
            }
        }
    }
}
