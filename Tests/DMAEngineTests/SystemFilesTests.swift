import DMADriverKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// DMADriverKit's `SystemFiles`, which both backends read sysfs with, against a fixture tree.
@Suite struct SystemFilesTests {
    @Test("entries: no . and .., natural order; nil for a missing directory")
    func entries() throws {
        let f = try Fixture()
        for name in ["dma0chan10", "dma0chan2", "dma1chan0", "wq0.10", "wq0.2"] { try f.write("class/\(name)", "") }
        #expect(SystemFiles.entries("\(f.root)/class") == ["dma0chan2", "dma0chan10", "dma1chan0", "wq0.2", "wq0.10"])
        try f.directory("empty")
        #expect(SystemFiles.entries("\(f.root)/empty") == [])
        #expect(SystemFiles.entries("\(f.root)/missing") == nil)
        #expect(SystemFiles.entries("\(f.root)/class/wq0.2") == nil, "a file is not a directory")
    }

    @Test("attribute, integer, readSmallFile: trimmed text, decimal and hex numbers; nil when absent")
    func attributes() throws {
        let f = try Fixture()
        try f.write("state", "  enabled\n")
        try f.write("size", "128\n")
        try f.write("vendor", "0x8086\n")
        try f.write("blank", "\n\n")
        try f.write("lines", "a\nb\n")
        #expect(SystemFiles.attribute("\(f.root)/state") == "enabled")
        #expect(SystemFiles.attribute("\(f.root)/blank") == "")
        #expect(SystemFiles.attribute("\(f.root)/lines") == "a\nb")
        #expect(SystemFiles.readSmallFile("\(f.root)/lines") == "a\nb\n")
        #expect(SystemFiles.integer("\(f.root)/size") == 128)
        #expect(SystemFiles.integer("\(f.root)/vendor") == 0x8086)
        #expect(SystemFiles.integer("\(f.root)/state") == nil)
        #expect(SystemFiles.attribute("\(f.root)/missing") == nil)
        #expect(SystemFiles.integer("\(f.root)/missing") == nil)
        let large = String(repeating: "x", count: 20_000)
        try f.write("large", large)
        #expect(SystemFiles.readSmallFile("\(f.root)/large", limit: 8192)?.count == 8192, "reads whole 4 KiB chunks up to the limit")
    }

    @Test("readLink, linkName, exists, isCharacterDevice")
    func links() throws {
        let f = try Fixture()
        try f.directory("bus/pci/drivers/ioatdma")
        try f.link("device/driver", to: "../bus/pci/drivers/ioatdma")
        #expect(SystemFiles.readLink("\(f.root)/device/driver") == "../bus/pci/drivers/ioatdma")
        #expect(SystemFiles.linkName("\(f.root)/device/driver") == "ioatdma")
        #expect(SystemFiles.readLink("\(f.root)/bus") == nil, "a directory is not a link")
        #expect(SystemFiles.linkName("\(f.root)/missing") == nil)
        #expect(SystemFiles.exists("\(f.root)/device/driver"))
        #expect(!SystemFiles.exists("\(f.root)/missing"))
        #expect(SystemFiles.isCharacterDevice("/dev/null"))
        #expect(!SystemFiles.isCharacterDevice("\(f.root)/bus"))
    }
}
