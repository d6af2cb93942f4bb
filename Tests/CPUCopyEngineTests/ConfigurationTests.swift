import CPUCopyEngine
import DMADriverKit
import Testing

@Suite("CPU copy engine: configuration")
struct ConfigurationTests {
    @Test("bad values are refused with a message naming the value", arguments: [
        CopyEngineConfiguration(workers: 0), CopyEngineConfiguration(workers: 1000),
        CopyEngineConfiguration(queueDepth: 100), CopyEngineConfiguration(queueDepth: 2),
        CopyEngineConfiguration(workers: 8, queueDepth: 8), CopyEngineConfiguration(batchLimit: 0),
        CopyEngineConfiguration(minimumPartSize: 0),
    ])
    func refused(configuration: CopyEngineConfiguration) {
        #expect(throws: DMAError.self) { try CopyEngine(configuration: configuration) }
    }

    @Test("defaults: one worker per online CPU, worker completions")
    func defaults() throws {
        let configuration = try CopyEngineConfiguration().validated()
        #expect(configuration.workers == CopyEngineConfiguration.onlineCPUCount)
        #expect(configuration.completionMode == .worker)
    }
}
