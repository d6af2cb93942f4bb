internal import CDriverHostSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A shared object opened with `dlopen`. Never closed: callbacks a plugin registered may be
/// referenced anywhere in the process for as long as it runs.
struct DynamicLibrary: @unchecked Sendable {
    // @unchecked Sendable: the handle is an opaque token that glibc's dl* functions accept
    // from any thread; it is never closed, so it never dangles.

    /// The `dlopen` handle.
    let handle: UnsafeMutableRawPointer

    /// Opens `path` with `dlopen(path, RTLD_NOW | RTLD_LOCAL)`: every undefined symbol is
    /// resolved now (a missing dependency fails here, not at the first call), and the
    /// plugin's symbols stay private to it. The loader passes only canonical absolute paths
    /// (see ``PluginImages``), which the dynamic linker opens as they are, without searching.
    /// - Throws: the `dlerror()` text, which names the missing library or symbol.
    static func open(_ path: String) throws(DynamicLibraryError) -> DynamicLibrary {
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .openFailed(lastError() ?? "dlopen failed without a message")
        }
        return DynamicLibrary(handle: handle)
    }

    /// Looks up `name` with `dlsym`.
    /// - Throws: ``DynamicLibraryError/missingSymbol(_:)`` when the library does not define it.
    func symbol(_ name: String) throws(DynamicLibraryError) -> UnsafeMutableRawPointer {
        _ = dlerror()
        guard let address = dlsym(handle, name) else {
            throw .missingSymbol(Self.lastError() ?? "undefined symbol: \(name)")
        }
        return address
    }

    /// The dynamic linker's record of this image (`dlinfo(RTLD_DI_LINKMAP)`), comparable with
    /// ``image(containing:)``; nil if the linker does not know the handle.
    var image: UnsafeRawPointer? { dmahost_image_of_handle(handle) }

    /// The dynamic linker's record of the image that contains `address`
    /// (`dladdr1(RTLD_DL_LINKMAP)`), and the name it knows that image by; nil when no loaded
    /// image contains it.
    static func image(containing address: UnsafeRawPointer) -> (image: UnsafeRawPointer, name: String)? {
        guard let image = dmahost_image_containing(address) else { return nil }
        let name = dmahost_image_path_containing(address).map { String(cString: $0) } ?? "(unnamed image)"
        return (image, name)
    }

    /// The pending `dlerror()` message (thread-local in glibc), if any.
    private static func lastError() -> String? {
        guard let message = dlerror() else { return nil }
        return String(cString: message)
    }
}

/// Why `dlopen` or `dlsym` failed, with the dynamic linker's own text.
enum DynamicLibraryError: Error, Equatable {
    /// `dlopen` failed (bad file, missing DT_NEEDED library, undefined symbol).
    case openFailed(String)
    /// `dlsym` found no such symbol.
    case missingSymbol(String)
}
