#if canImport(Glibc)
import Glibc
#endif

/// What the machine running the tests has. Hardware suites are enabled when the device exists,
/// and always inside the test guest (DMAHOST_IN_VM=1), where a missing device is a failure,
/// not a reason to skip.
enum Hardware {
    /// Running in the qemu guest of Tests/VM/run-in-vm.sh.
    static let inVM = getenv("DMAHOST_IN_VM") != nil
    /// /dev/udmabuf is present.
    static let udmabuf = inVM || access("/dev/udmabuf", F_OK) == 0
    /// The system dma-buf heap is present.
    static let systemHeap = inVM || access("/dev/dma_heap/system", F_OK) == 0
    /// A vgem DRM device is present (the guest loads vgem).
    static let vgem = inVM || isVGEM()
    /// Root (opening the device nodes needs it).
    static let root = getuid() == 0

    private static func isVGEM() -> Bool {
        guard let target = readlinkString("/sys/class/drm/card0/device/driver") else { return false }
        return target.hasSuffix("/vgem")
    }

    private static func readlinkString(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
