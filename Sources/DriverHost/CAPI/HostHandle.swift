import DMASync
import CDMAHostABI
import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a C `struct dmahost_host *` points to: a ``DriverHost`` and the C strings handed out.
///
/// Strings are interned (one copy per distinct text) and freed when the handle is destroyed,
/// which gives them the lifetime host.h promises.
final class HostHandle: Sendable {
    let host: DriverHost
    private let strings = Locked<[String: StringCopy]>([:])

    /// A C copy of a string; freed with the handle.
    private struct StringCopy: @unchecked Sendable {
        // @unchecked Sendable: immutable after creation; freed once, in deinit, when no
        // other reference to the handle exists.
        let pointer: UnsafeMutablePointer<CChar>
    }

    init(host: DriverHost) { self.host = host }

    deinit {
        strings.withLock { table in
            for copy in table.values { free(copy.pointer) }
            table.removeAll()
        }
    }

    /// A host-owned, NUL-terminated copy of `text`, valid until the handle is destroyed.
    func cString(_ text: String) -> UnsafePointer<CChar>? {
        strings.withLock { table in
            if let existing = table[text] { return UnsafePointer(existing.pointer) }
            guard let copy = strdup(text) else { return nil }
            table[text] = StringCopy(pointer: copy)
            return UnsafePointer(copy)
        }
    }

    /// The handle behind a C pointer (not retained).
    static func from(_ pointer: OpaquePointer?) -> HostHandle? {
        pointer.map { Unmanaged<HostHandle>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}

/// Copies a fully built descriptor into the caller's, up to the size the caller declared,
/// keeping the caller's `size`.
/// - Returns: 0, or -EINVAL when the caller's size does not reach past its first field.
func fillDescriptor<Descriptor>(_ full: Descriptor, into destination: UnsafeMutablePointer<Descriptor>) -> Int32 {
    let declared = UnsafeRawPointer(destination).loadUnaligned(as: Int.self)
    let minimum = MemoryLayout<Int>.size + MemoryLayout<UnsafeRawPointer>.size
    guard declared >= minimum else { return -EINVAL }
    var copy = full
    withUnsafeMutableBytes(of: &copy) { bytes in
        guard let base = bytes.baseAddress else { return }
        bytes.storeBytes(of: declared, toByteOffset: 0, as: Int.self)
        UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: min(declared, bytes.count))
    }
    return 0
}
