import SystemPackage

/// A check of a candidate file's ELF header before `dlopen`, so that a file that is not a
/// shared object for this machine is rejected with a precise reason instead of the dynamic
/// linker's terse one ("invalid ELF header").
enum ELFCheck {
    /// `e_machine` of this build (EM_X86_64 = 62, EM_AARCH64 = 183).
    #if arch(x86_64)
    static let hostMachine: UInt16 = 62
    static let hostMachineName = "x86-64"
    #elseif arch(arm64)
    static let hostMachine: UInt16 = 183
    static let hostMachineName = "AArch64"
    #else
    static let hostMachine: UInt16 = 0
    static let hostMachineName = "this machine"
    #endif

    /// Reads the first 64 bytes of the opened candidate (`pread(2)` through swift-system, EINTR
    /// retried: the very file that was checked and will be mapped) and checks: ELF magic, 64-bit
    /// class, little-endian data, type ET_DYN, this machine.
    /// - Returns: nil when the file looks like a loadable shared object, else the reason.
    static func problem(in file: PluginFile) -> String? {
        let header: [UInt8]
        do throws(Errno) {
            header = try file.header(64)
        } catch {
            return "cannot read the file: \(error) (check that it is readable)"
        }
        guard header.count >= 20, header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46 else {
            let shown = header.prefix(4).map { byte in
                (0x20...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
            }.joined()
            return "not an ELF shared object (\(header.count) bytes read, starts with \"\(shown)\"); "
                + "a plugin is a shared library built with -shared -fPIC that exports dmahost_driver_entry"
        }
        guard header[4] == 2, header[5] == 1 else {
            return "ELF object is not 64-bit little-endian (class \(header[4]), data \(header[5])); rebuild it for \(hostMachineName)"
        }
        let type = UInt16(header[16]) | UInt16(header[17]) << 8
        let machine = UInt16(header[18]) | UInt16(header[19]) << 8
        guard type == 3 else {
            let kind = switch type {
            case 1: "a relocatable object (.o)"
            case 2: "an executable"
            case 4: "a core dump"
            default: "an ELF file of type \(type)"
            }
            return "\(kind), not a shared object (ET_DYN); link the plugin with -shared"
        }
        guard hostMachine == 0 || machine == hostMachine else {
            return "ELF shared object for machine \(machine), this host is \(hostMachineName); rebuild the plugin for this machine"
        }
        return nil
    }
}
