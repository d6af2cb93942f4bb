import CCPUEngineSupport
import DMADriverKit
@testable import CPUCopyEngine
import SeededRandom
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The copy and fill kernels (`dmahost_copy_kernels.h`): each non-temporal one this CPU can
/// run, and the cached copy, against `memcpy` and `memset`: every alignment of both sides,
/// lengths around the 64-byte lines, and nothing written outside the destination.
@Suite("CPU copy engine: non-temporal copy kernels")
struct CopyKernelTests {
    /// Every kernel up to the widest this CPU supports (on other architectures, only memcpy).
    static var kernels: [Int32] { Array(0...Int32(dmahost_copy_kernel_detect())) }

    @Test("the detected kernel has a name, and on x86-64 it is at least SSE2")
    func detection() {
        let kernel = dmahost_copy_kernel_detect()
        #expect(String(cString: dmahost_copy_kernel_name(kernel)) != "unknown")
        #if arch(x86_64)
        #expect(kernel >= Int32(DMAHOST_COPY_KERNEL_SSE2.rawValue), "every x86-64 CPU has SSE2")
        #endif
        #expect(CopyKernels.detectedKernelName == String(cString: dmahost_copy_kernel_name(kernel)))
    }

    @Test("a streaming copy writes what memcpy writes, and nothing else", arguments: kernels)
    func copy(kernel: Int32) {
        Self.expectCopiesLikeMemcpy(seed: UInt64(kernel) + 11, label: "kernel \(kernel)") { to, from, length in
            dmahost_copy_nontemporal(kernel, to, from, length)
        }
    }

    @Test("a cached copy (rep movsb or memcpy) writes what memcpy writes, and nothing else")
    func cachedCopy() {
        #expect(["rep movsb", "memcpy"].contains(CopyKernels.cachedCopyName))
        Self.expectCopiesLikeMemcpy(seed: 5, label: CopyKernels.cachedCopyName) { to, from, length in
            dmahost_copy_cached(to, from, length)
        }
    }

    /// Runs `copy` for every alignment of both sides and lengths around the 64-byte lines, and
    /// expects the destination buffer (with guard bytes around the copy) to equal memcpy's.
    static func expectCopiesLikeMemcpy(seed: UInt64, label: String,
                                       _ copy: (UnsafeMutableRawPointer, UnsafeRawPointer, Int) -> Void) {
        var generator = SeededGenerator(seed: seed)
        let capacity = 9000
        let source = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        let written = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity + 128, alignment: 64)
        let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity + 128, alignment: 64)
        defer { source.deallocate(); written.deallocate(); expected.deallocate() }
        for index in 0..<capacity { source[index] = UInt8.random(in: 0...255, using: &generator) }
        for sourceOffset in stride(from: 0, to: 64, by: 7) {
            for destinationOffset in stride(from: 0, to: 64, by: 5) {
                let length = [0, 1, 63, 64, 65, 127, 128, 129, 1000, 4096, 8000][(sourceOffset + destinationOffset) % 11]
                written.initializeMemory(as: UInt8.self, repeating: 0xEE)
                expected.initializeMemory(as: UInt8.self, repeating: 0xEE)
                guard let to = written.baseAddress, let reference = expected.baseAddress, let from = source.baseAddress else { return }
                copy(to + destinationOffset, from + sourceOffset, length)
                memcpy(reference + destinationOffset, from + sourceOffset, length)
                #expect(memcmp(to, reference, written.count) == 0,
                        "\(label): \(length) bytes from offset \(sourceOffset) to offset \(destinationOffset)")
            }
        }
    }

    @Test("a streaming fill writes what memset writes, and nothing else", arguments: kernels)
    func fill(kernel: Int32) {
        let written = UnsafeMutableRawBufferPointer.allocate(byteCount: 5000, alignment: 64)
        let expected = UnsafeMutableRawBufferPointer.allocate(byteCount: 5000, alignment: 64)
        defer { written.deallocate(); expected.deallocate() }
        for offset in 0..<64 {
            for length in [0, 1, 64, 100, 191, 4000] {
                written.initializeMemory(as: UInt8.self, repeating: 0xEE)
                expected.initializeMemory(as: UInt8.self, repeating: 0xEE)
                guard let to = written.baseAddress, let reference = expected.baseAddress else { return }
                dmahost_fill_nontemporal(kernel, to + offset, 0x5A, length)
                memset(reference + offset, 0x5A, length)
                #expect(memcmp(to, reference, written.count) == 0, "kernel \(kernel): \(length) bytes at offset \(offset)")
            }
        }
    }

    @Test("cache control picks the streaming threshold: never, or from the bypass minimum (auto: for destinations not recent)")
    func thresholds() throws {
        var configuration = CopyEngineConfiguration(workers: 1, bypassMinimumBytes: 1000, reuseWindowBytes: 5000)
        #expect(CacheControl.allocate.streamingThreshold(configuration) == .max)
        #expect(CacheControl.bypass.streamingThreshold(configuration) == 1000)
        #expect(CacheControl.auto.streamingThreshold(configuration) == 1000)
        configuration.bypassMinimumBytes = 0
        #expect(throws: DMAError.self) { try configuration.validated() }
    }

    @Test("the reuse window defaults to a last-level cache size read from sysfs, as dmactl bench plans its working sets")
    func lastLevelCache() {
        let bytes = CopyEngineConfiguration.lastLevelCacheBytes
        #expect(bytes > 0)
        #expect(CopyEngineConfiguration().reuseWindowBytes == bytes)
    }

    @Test("a destination written again within the reuse window counts as cached; after more traffic, or the first time, it does not")
    func destinationHistory() {
        let history = DestinationHistory(windowBytes: 1 << 20)
        defer { history.deallocate() }
        let buffers = UnsafeMutableRawPointer.allocate(byteCount: 64 << 20, alignment: 4096)
        defer { buffers.deallocate() }
        let hot = buffers, other = buffers + (32 << 20)
        #expect(!history.recordWrite(at: hot, length: 64 << 10), "never written before")
        #expect(history.recordWrite(at: hot, length: 64 << 10), "written again at once")
        for index in 0..<8 { _ = history.recordWrite(at: other + index * (64 << 10), length: 64 << 10) }
        #expect(history.recordWrite(at: hot, length: 64 << 10), "512 KiB written elsewhere: within the 1 MiB window")
        for index in 0..<32 { _ = history.recordWrite(at: other + index * (256 << 10), length: 256 << 10) }
        #expect(!history.recordWrite(at: hot, length: 64 << 10), "8 MiB written elsewhere: beyond the window")
    }
}
