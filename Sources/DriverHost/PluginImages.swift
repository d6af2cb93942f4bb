import DMASync
import CDMAHostABI
import SystemPackage

/// The process-wide record of plugin images (each file mapped once) and of the tables
/// exchanged with every entry call.
///
/// ## What is checked is what is loaded
///
/// A candidate reaches ``map(_:)`` as a ``PluginFile``: its canonical path walked from `/`,
/// every directory and the file checked against ``PluginTrust``, the file open and its ELF
/// header read from that descriptor. It is then mapped with
/// `dlopen(realPath, RTLD_NOW | RTLD_LOCAL)`, where:
/// - the path is absolute and canonical, so the dynamic linker never searches for it (no
///   RUNPATH, `LD_LIBRARY_PATH` or cache lookup): a bare name never reaches `dlopen`;
/// - the device and inode at that path are compared with the open file's right before and
///   right after the call, and the handle returned must not be an image this record holds for
///   another file (glibc hands back an image it already has under the same name without
///   opening the file, e.g. after a plugin was rebuilt in place);
/// - nobody but root and the effective user can change the file or any directory on its path
///   (that is the trust rule), so nobody else can swap the file between the check and the
///   mapping. The comparisons catch the trusted owner replacing it meanwhile (a rebuild) and
///   the development override, which gives up that guarantee anyway.
///
/// `dlopen("/proc/self/fd/N")` would map the open descriptor itself, but the dynamic linker
/// would then name the image "/proc/self/fd/N" for good: debuggers and sanitizer symbolizers,
/// which open that name in their own process, could not find the plugin, and because glibc
/// matches later `dlopen` calls by name first, the descriptor would have to stay open for the
/// life of the process so that the name never comes to mean another file.
///
/// ## One image per file
///
/// Images are keyed by file identity: a later candidate for the same file (another host, a
/// hard link) gets the recorded handle without another `dlopen`. Whether a host may call that
/// image's entry again is the host's decision (once per host).
///
/// A plugin is never unloaded, so its image, the host table given to its entry and the ops
/// table it returned all live as long as the process (driver.h). The entry-call record states
/// that lifetime explicitly: it keeps every such table reachable (a leak checker sees them as
/// held, which they are).
enum PluginImages {
    /// One mapped plugin file.
    struct Image: @unchecked Sendable {
        // @unchecked Sendable: immutable; the handle and the linker's record of the image are
        // process-lifetime tokens, only compared.

        /// Device and inode of the file.
        let identity: FileIdentity
        /// The canonical path it was mapped from (the name the dynamic linker knows it by).
        let path: String
        /// The `dlopen` handle.
        let library: DynamicLibrary
        /// The dynamic linker's record of the image (`dlinfo`), compared with the image that
        /// defines the entry symbol.
        let linkMap: UnsafeRawPointer?
    }

    /// One entry call.
    struct EntryCall: @unchecked Sendable {
        // @unchecked Sendable: immutable addresses of process-lifetime objects.
        let path: String
        let library: DynamicLibrary
        let hostTable: UnsafePointer<dmahost_host_api>
        let opsTable: UnsafeRawPointer?
    }

    /// Why a checked file could not be mapped.
    enum Failure: Error {
        /// `dlopen` failed; the dynamic linker's text.
        case openFailed(String)
        /// The file at the path is no longer the one that was checked, or the dynamic linker
        /// returned an image of another file; the text says which.
        case changed(String)
    }

    private static let images = Locked<[FileIdentity: Image]>([:])
    private static let entryCalls = Locked<[EntryCall]>([])

    /// The image of `file`: the recorded one, or a new mapping (see the type's description).
    static func map(_ file: PluginFile) throws(Failure) -> Image {
        if let known = images.withLock({ $0[file.identity] }) { return known }
        try expectSameFile(file, when: "before it was mapped")
        // dlopen runs outside the lock: a plugin's constructors run inside it. Two threads
        // mapping the same file get the same handle from the dynamic linker.
        let library: DynamicLibrary
        do throws(DynamicLibraryError) {
            library = try DynamicLibrary.open(file.realPath)
        } catch {
            switch error {
            case .openFailed(let text), .missingSymbol(let text): throw .openFailed(text)
            }
        }
        try expectSameFile(file, when: "while it was mapped")
        let image = Image(identity: file.identity, path: file.realPath, library: library, linkMap: library.image)
        return try images.withLock { (images: inout [FileIdentity: Image]) throws(Failure) -> Image in
            if let known = images[file.identity] { return known }
            if let other = images.values.first(where: { $0.library.handle == library.handle }) {
                throw .changed("the dynamic linker returned the image it mapped earlier from \(other.path) (\(other.identity)), "
                    + "not this file (\(file.identity)): the file was replaced after it was first loaded, and a process "
                    + "keeps the first image of a path; restart the process to load the new file")
            }
            images[file.identity] = image
            return image
        }
    }

    /// Throws unless the path still names the open file.
    private static func expectSameFile(_ file: PluginFile, when: String) throws(Failure) {
        let now: FileIdentity
        do {
            now = FileIdentity(try FilePath(file.realPath).stat(followTargetSymlink: false))
        } catch {
            throw .changed("\(file.realPath) could not be examined \(when): \(error); try again")
        }
        guard now == file.identity else {
            throw .changed("\(file.realPath) was replaced \(when) (it was \(file.identity), now \(now)); try again "
                + "once whatever writes it has finished")
        }
    }

    /// Records an entry call (whatever the loader then decides about the table).
    static func record(_ call: EntryCall) {
        entryCalls.withLock { $0.append(call) }
    }

    /// Number of entry calls made in this process.
    static var entryCallCount: Int { entryCalls.withLock { $0.count } }
}
