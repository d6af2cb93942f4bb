import CDMAHostABI
import DMAHost
import DMASync
import SeededRandom
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the registry stress counted.
struct RegistryTally: Sendable {
    /// Domains created and destroyed through the public API.
    var created = 0, destroyed = 0
    /// Completed registry walks and the domains they visited.
    var walks = 0, visited = 0
    /// Torn domains, wrong walk results and failed creations.
    var problemCount = 0
    /// The first problems, in order.
    var problems: [String] = []

    static let maximumProblems = 5

    mutating func note(_ problem: String) {
        problemCount += 1
        if problems.count < Self.maximumProblems { problems.append(problem) }
    }
}

/// Domain churn and registry walks on threads of their own, while the devices are stressed.
///
/// Churn threads create domains of every device type, with and without an id, each with a
/// user context that repeats its type and id; set, clear and call their callbacks; and
/// destroy them in random order. Walk threads iterate the registry with
/// `spdk_memory_domain_get_first`/`get_next` (with no id, a device's id, a churned id,
/// "system") and take snapshots, checking that every domain they meet is whole: its id, type
/// and user context agree, an id filter is honoured, the system domain comes first and every
/// device domain (alive for the whole run) is met.
///
/// Destroys are paced to ``destroysPerSecond`` in all: a domain a walker holds stays readable
/// for the next 1024 destroys in the process (`spdk/dma.h`), so the pace gives a walker about a
/// second between reaching a domain and reading it.
final class RegistryChurn: Sendable {
    /// Prefix of every churned domain's id and user context.
    static let prefix = "stress-churn:"
    /// Most destroys per second, all churn threads together.
    static let destroysPerSecond = 1000
    /// Most domains a churn thread keeps alive at once.
    static let liveDomains = 32
    /// A walk longer than this did not end.
    static let longestWalk = 1 << 20

    private let stopping = Atomic<Bool>(false)
    private let tally = Locked(RegistryTally())
    /// Ids churned lately (walk filters).
    private let recentIDs = Locked<[String]>([])
    private let threads = BackgroundThreads()
    /// Domains that stay alive during the run and every walk must meet, with their ids.
    private let devices: [MemoryDomain]

    init(devices: [MemoryDomain]) { self.devices = devices }

    /// Starts the threads.
    func start(churnThreads: Int, walkThreads: Int, seed: UInt64) {
        let interval = Duration.nanoseconds(1_000_000_000 * Int64(max(churnThreads, 1)) / Int64(Self.destroysPerSecond))
        for index in 0..<churnThreads {
            threads.start(name: "dmactl-churn\(index)") { [self] in churn(seed: seed ^ (0xC0FFEE + UInt64(index)), serialBase: index << 40, interval: interval) }
        }
        for index in 0..<walkThreads {
            threads.start(name: "dmactl-walk\(index)") { [self] in walk(seed: seed ^ (0xFACADE + UInt64(index))) }
        }
    }

    /// Stops and joins the threads (churned domains still alive are destroyed).
    func stop() -> RegistryTally {
        stopping.store(true, ordering: .releasing)
        threads.joinAll()
        return tally.withLock { $0 }
    }

    private var stopped: Bool { stopping.load(ordering: .acquiring) }

    // MARK: - Churn

    private func churn(seed: UInt64, serialBase: Int, interval: Duration) {
        var generator = SeededGenerator(seed: seed)
        var live: [MemoryDomain] = []
        var serial = serialBase
        var next = ContinuousClock.now
        while !stopped {
            serial += 1
            if let domain = create(serial: serial, using: &generator) { live.append(domain) }
            if live.count > Self.liveDomains || (!live.isEmpty && Bool.random(using: &generator)) {
                live.remove(at: Int.random(in: 0..<live.count, using: &generator)).destroy()
                tally.withLock { $0.destroyed += 1 }
            }
            next += interval
            let wait = ContinuousClock.now.duration(to: next)
            if wait > .zero { Self.sleep(wait) } else { next = .now }
        }
        for domain in live { domain.destroy() }
        tally.withLock { $0.destroyed += live.count }
    }

    /// Creates one domain, sets some callbacks, calls memzero through the C ABI and checks what it reads back.
    private func create(serial: Int, using generator: inout SeededGenerator) -> MemoryDomain? {
        let types: [DMADeviceType] = [.rdma, .dma, .accel, DMADeviceType(rawValue: Int32.random(in: 1000...1999, using: &generator))]
        let type = types.randomElement(using: &generator) ?? .dma
        let label = "\(Self.prefix)\(type.rawValue):\(serial)"
        let id = Int.random(in: 0..<4, using: &generator) == 0 ? nil : label
        let domain: MemoryDomain
        do throws(DMAError) {
            domain = try Array(label.utf8).withUnsafeBytes { context in
                Result { () throws(DMAError) in try MemoryDomain.create(type: type, id: id, userContext: context) }
            }.get()
        } catch {
            tally.withLock { $0.note("creating domain \(label) failed: \(error.message)") }
            return nil
        }
        tally.withLock { $0.created += 1 }
        if id != nil { recentIDs.withLock { ids in ids = Array((ids + [label]).suffix(16)) } }

        domain.setPull { _, _, _, _, _, _, _, _ in -ENOTSUP }
        domain.setPush { _, _, _, _, _, _, _, _ in -ENOTSUP }
        let zeroes = Bool.random(using: &generator)
        domain.setMemzero(zeroes ? { _, _, _, _, _, _ in -ENODATA } : nil)
        // Only this thread sets the domain's callbacks, so this call does not race with them.
        var byte: UInt8 = 0
        let rc = withUnsafeMutablePointer(to: &byte) { pointer in
            var entry = iovec(iov_base: pointer, iov_len: 1)
            return spdk_memory_domain_memzero(UnsafeMutablePointer(domain.handle), nil, &entry, 1, { _, _ in }, nil)
        }
        if rc != (zeroes ? -ENODATA : -ENOTSUP) {
            tally.withLock { $0.note("memzero of \(label) returned \(rc), not the \(zeroes ? "callback's -ENODATA" : "-ENOTSUP of no callback")") }
        }
        if let problem = Self.inspect(domain, filter: nil) { tally.withLock { $0.note("just created: \(problem)") } }
        return domain
    }

    // MARK: - Walks

    private func walk(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let deviceIDs = devices.compactMap(\.id)
        while !stopped {
            let choice = Int.random(in: 0..<5, using: &generator)
            let filter: String? = switch choice {
            case 0: nil
            case 1: deviceIDs.randomElement(using: &generator)
            case 2: recentIDs.withLock { $0.randomElement(using: &generator) }
            case 3: "system"
            default: nil
            }
            let met = choice == 4 ? snapshot(filter: filter) : iterate(filter: filter)
            if let met { check(met, filter: filter) }
            Self.sleep(.microseconds(200))
        }
    }

    /// Walks with get_first/get_next; returns the domains met, nil when the walk failed.
    private func iterate(filter: String?) -> [MemoryDomain]? {
        let walk = { (id: UnsafePointer<CChar>?) -> [MemoryDomain]? in
            var met: [MemoryDomain] = []
            var cursor = spdk_memory_domain_get_first(id)
            while let current = cursor {
                let domain = MemoryDomain(handle: OpaquePointer(current))
                if let problem = Self.inspect(domain, filter: filter) {
                    self.tally.withLock { $0.note("walk\(filter.map { " for id \($0)" } ?? ""): \(problem)") }
                }
                met.append(domain)
                guard met.count < Self.longestWalk else {
                    self.tally.withLock { $0.note("a walk met more than \(Self.longestWalk) domains: the registry's list loops") }
                    return nil
                }
                cursor = spdk_memory_domain_get_next(current, id)
            }
            return met
        }
        guard let filter else { return walk(nil) }
        return filter.withCString(walk)
    }

    /// Takes a snapshot (`MemoryDomain.all(id:)`) and inspects it.
    private func snapshot(filter: String?) -> [MemoryDomain] {
        let met = MemoryDomain.all(id: filter)
        for domain in met {
            if let problem = Self.inspect(domain, filter: filter) { tally.withLock { $0.note("snapshot: \(problem)") } }
        }
        return met
    }

    /// Checks what a whole walk met: the system domain first, every device domain met.
    private func check(_ met: [MemoryDomain], filter: String?) {
        var problems: [String] = []
        let handles = Set(met.map(\.handle))
        if filter == nil, met.first?.isSystem != true { problems.append("a walk without id did not start at the system domain") }
        if filter == "system", met.count != 1 || met.first?.isSystem != true {
            problems.append("a walk for id system met \(met.count) domain(s), not the system domain alone")
        }
        for device in devices where filter == nil || filter == device.id {
            if !handles.contains(device.handle) { problems.append("a walk\(filter.map { " for id \($0)" } ?? "") missed \(device), which is alive") }
        }
        tally.withLock { tally in
            tally.walks += 1
            tally.visited += met.count
            for problem in problems { tally.note(problem) }
        }
    }

    /// What is wrong with `domain` as a walk met it: an id that does not match the filter, or
    /// a churned domain whose id, type and user context disagree (torn). Nil when it is whole.
    static func inspect(_ domain: MemoryDomain, filter: String?) -> String? {
        let id = domain.id
        if domain.isSystem { return id == "system" ? nil : "the system domain's id reads \(id ?? "NULL")" }
        if let filter, id != filter { return "met \(domain), whose id is not \(filter)" }
        guard let context = domain.userContext, context.count > prefix.utf8.count,
              context.starts(with: prefix.utf8) else { return nil }
        let label = String(decoding: context, as: UTF8.self)
        let fields = label.dropFirst(prefix.count).split(separator: ":")
        guard fields.count == 2, let type = Int32(fields[0]) else { return "torn domain: user context reads \"\(label)\"" }
        if domain.type.rawValue != type { return "torn domain \(label): its type reads \(domain.type.rawValue)" }
        if let id, id != label { return "torn domain \(label): its id reads \(id)" }
        return nil
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
