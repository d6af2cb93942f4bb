import CDMAHostABI
import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built plugin (`libdmahost-dmaengine.so`) through its C entry point, the way any host
/// loads it: dlopen, dmahost_driver_entry with a host table, the ops table's probe and diagnose.
@Suite struct PluginABITests {
    @Test func entryReturnsATableThatProbesAndDiagnoses() throws {
        let path = try #require(BuiltPlugin.path("dmaengine"), "build the plugin product first (swift build)")
        let library = try #require(dlopen(path, RTLD_NOW | RTLD_LOCAL), "dlopen: \(String(cString: dlerror()))")
        let symbol = try #require(dlsym(library, DMAHOST_DRIVER_ENTRY_SYMBOL))
        let entry = unsafeBitCast(symbol, to: dmahost_driver_entry_fn.self)
        let ops = try #require(entry(TestHost.table))
        KeptForProcessLifetime.keep(ops)
        #expect(ops.pointee.abi_major == UInt32(DMAHOST_DRIVER_ABI_MAJOR))
        #expect(ops.pointee.size >= MemoryLayout<dmahost_driver_ops>.size)
        #expect(String(cString: try #require(ops.pointee.name)) == "dmaengine")
        #expect(ops.pointee.device_type_count == 1 && ops.pointee.device_types?[0] == Int32(SPDK_DMA_DEVICE_TYPE_DMA.rawValue))

        var devices: UnsafePointer<dmahost_device_info>?
        var count: UInt32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let probe = try #require(ops.pointee.probe)
        #expect(probe(ops.pointee.driver_ctx, &devices, &count, &error, error.count) == 0)
        for index in 0..<Int(count) {
            let id = String(cString: try #require(devices?[index].id))
            #expect(id.hasPrefix("dmaengine:"), "\(id)")
        }

        final class Lines: @unchecked Sendable { var items: [String] = [] }
        let lines = Lines()
        let diagnose = try #require(ops.pointee.diagnose)
        let rc = diagnose(ops.pointee.driver_ctx, { arg, subject, ok, detail in
            guard let arg, let subject, let detail else { return }
            Unmanaged<Lines>.fromOpaque(arg).takeUnretainedValue().items.append("\(ok != 0 ? "ok" : "--") \(String(cString: subject)): \(String(cString: detail))")
        }, Unmanaged.passUnretained(lines).toOpaque())
        #expect(rc == 0)
        #expect(lines.items.contains { $0.contains("/dev/udmabuf") })
        #expect(lines.items.contains { $0.contains("CPU submission instructions") })
        let unknown = try #require(ops.pointee.open)
        #expect(unknown(ops.pointee.driver_ctx, "dmaengine:does-not-exist", &error, error.count) == -ENODEV)
        #expect(String(decoding: error.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self).contains("last probe"))
    }
}
