import CPUCopyEngine
import DMADriverKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The CPU backend's settings, read from the environment:
///
/// | Variable                  | Meaning                                  | Default            |
/// |---------------------------|------------------------------------------|--------------------|
/// | `DMAHOST_CPU_CHANNELS`    | devices `cpu:0` … `cpu:N-1` (1...64)     | 1                  |
/// | `DMAHOST_CPU_WORKERS`     | worker threads per device (1...256)      | online CPUs        |
/// | `DMAHOST_CPU_COMPLETION`  | `worker` or `poll`                       | `worker`           |
/// | `DMAHOST_CPU_QUEUE_DEPTH` | descriptors per device (power of two)    | 1024               |
/// | `DMAHOST_CPU_CACHE_CONTROL` | `allocate`, `bypass` or `auto`         | `auto`             |
struct CPUAccelSettings: Equatable, Sendable {
    /// Number of devices.
    var channels: Int
    /// The engine configuration every device gets.
    var engine: CopyEngineConfiguration

    static let channelsVariable = "DMAHOST_CPU_CHANNELS"
    static let workersVariable = "DMAHOST_CPU_WORKERS"
    static let completionVariable = "DMAHOST_CPU_COMPLETION"
    static let queueDepthVariable = "DMAHOST_CPU_QUEUE_DEPTH"
    static let cacheControlVariable = "DMAHOST_CPU_CACHE_CONTROL"
    static let maximumChannels = 64

    /// The variables above, as `dmactl env` lists them (`dmahost_driver_ops.config_variables`).
    static let variables: [DMAConfigVariable] = [
        DMAConfigVariable(name: channelsVariable, defaultValue: "1",
                          doc: "Number of devices, cpu:0 to cpu:N-1 (1...\(maximumChannels))."),
        DMAConfigVariable(name: workersVariable, defaultValue: nil,
                          doc: "Worker threads per device (1...\(CopyEngineConfiguration.maximumWorkers)); default: the number of online CPUs."),
        DMAConfigVariable(name: completionVariable, defaultValue: "worker",
                          doc: "Where completions run: worker (on the copying worker thread) or poll (in the domain's poll function, dmahost/cpu_accel.h)."),
        DMAConfigVariable(name: queueDepthVariable, defaultValue: "1024",
                          doc: "Descriptors per device, a power of two, at least 2 x workers (4...\(CopyEngineConfiguration.maximumQueueDepth)); a full ring refuses with -EAGAIN."),
        DMAConfigVariable(name: cacheControlVariable, defaultValue: CacheControl.auto.rawValue,
                          doc: "Whether copies and fills leave their destination in the CPU caches: allocate (always, memcpy/memset), bypass (non-temporal stores for operation parts of 16 KiB or more: for data not read soon by this CPU) or auto (the same, except for destinations written again within a last-level cache's worth of traffic, which stay cached)."),
    ]

    /// Reads the settings from `environment` (a lookup function, `getenv` by default).
    /// - Throws: ``DMAError/invalidArgument(_:)`` naming the variable, its value and what is accepted.
    static func read(_ environment: (String) -> String? = Self.processEnvironment) throws(DMAError) -> CPUAccelSettings {
        let channels = try integer(channelsVariable, environment, default: 1, range: 1...maximumChannels)
        let workers = try integer(workersVariable, environment, default: CopyEngineConfiguration.onlineCPUCount,
                                  range: 1...CopyEngineConfiguration.maximumWorkers)
        let depth = try integer(queueDepthVariable, environment, default: 1024, range: 4...CopyEngineConfiguration.maximumQueueDepth)
        var mode = CompletionMode.worker
        if let value = environment(completionVariable), !value.isEmpty {
            guard let parsed = CompletionMode(rawValue: value.lowercased()) else {
                throw .invalidArgument("\(completionVariable)='\(value)' is not 'worker' or 'poll'; fix or unset it")
            }
            mode = parsed
        }
        var cacheControl = CacheControl.auto
        if let value = environment(cacheControlVariable), !value.isEmpty {
            guard let parsed = CacheControl(rawValue: value.lowercased()) else {
                throw .invalidArgument("\(cacheControlVariable)='\(value)' is not 'allocate', 'bypass' or 'auto'; fix or unset it")
            }
            cacheControl = parsed
        }
        let configuration = CopyEngineConfiguration(workers: workers, queueDepth: depth, completionMode: mode, cacheControl: cacheControl)
        do throws(DMAError) {
            return CPUAccelSettings(channels: channels, engine: try configuration.validated())
        } catch {
            throw .invalidArgument("\(queueDepthVariable)/\(workersVariable): \(error.message)")
        }
    }

    /// `getenv`.
    static func processEnvironment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    private static func integer(_ name: String, _ environment: (String) -> String?, default fallback: Int,
                                range: ClosedRange<Int>) throws(DMAError) -> Int {
        guard let value = environment(name), !value.isEmpty else { return fallback }
        guard let number = Int(value.trimmingSpaces), range.contains(number) else {
            throw .invalidArgument("\(name)='\(value)' is not a whole number in \(range.lowerBound)...\(range.upperBound); fix or unset it")
        }
        return number
    }

    /// The device ids these settings give.
    var deviceIDs: [String] { (0..<channels).map { "cpu:\($0)" } }
}

private extension String {
    var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " } ?? endIndex
        let end = lastIndex { $0 != " " }.map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
