import CPCIScan
import DMADriverKit

/// A PCI function that is a DMA engine or an accelerator, and why it counts as one. Its
/// properties read through to the function (`engine.slot`, `engine.driver`, …).
@dynamicMemberLookup
public struct PCIEngineInfo: Sendable, Hashable {
    /// The function: slot, ids, class, names (pci.ids), driver, NUMA node.
    public var function: PCIFunction
    /// Why it counts as a DMA engine or accelerator.
    public var reason: String

    /// Creates the record of an engine.
    public init(function: PCIFunction, reason: String) {
        self.function = function
        self.reason = reason
    }

    /// A property of the function.
    public subscript<Value>(dynamicMember keyPath: KeyPath<PCIFunction, Value>) -> Value {
        function[keyPath: keyPath]
    }

    /// "vvvv:dddd".
    public var ids: String { "\(hex4(function.vendorID)):\(hex4(function.deviceID))" }

    /// One line for `dmactl doctor`.
    public var summary: String {
        "\(function.slot) [\(ids)] class \(hex4(function.classCode)) \(function.vendorName) \(function.deviceName), driver \(function.driver ?? "none"), NUMA node \(function.numaNode.map(String.init) ?? "unknown") (\(reason))"
    }
}

/// What a PCI function is, from libpci's view of it.
public struct PCIFunction: Sendable, Hashable {
    /// "dddd:bb:dd.f".
    public var slot: String
    /// Vendor id.
    public var vendorID: UInt16
    /// Device id.
    public var deviceID: UInt16
    /// Base class and subclass, e.g. 0x0880.
    public var classCode: UInt16
    /// Vendor name (pci.ids when scanned with names) or the hex id.
    public var vendorName: String
    /// Device name (pci.ids when scanned with names) or the hex id.
    public var deviceName: String
    /// Bound kernel driver, nil when none.
    public var driver: String?
    /// NUMA node, nil when unknown.
    public var numaNode: Int?

    /// A function with the given identity (tests build these directly).
    public init(slot: String, vendorID: UInt16, deviceID: UInt16, classCode: UInt16, vendorName: String = "",
                deviceName: String = "", driver: String? = nil, numaNode: Int? = nil) {
        self.slot = slot
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.classCode = classCode
        self.vendorName = vendorName
        self.deviceName = deviceName
        self.driver = driver
        self.numaNode = numaNode
    }
}

/// Enumerates PCI functions with libpci and picks the DMA engines and accelerators.
public enum PCIEngineScanner {
    /// Kernel drivers of PCI DMA engines.
    public static let dmaDrivers: Set<String> = ["ioatdma", "idxd", "ptdma", "ae4dma", "plx_dma", "hisi_dma", "dw-edma-pcie", "switchtec_dma"]

    /// Devices known to be DMA engines whatever their class (Intel DSA, IAX, CBDMA/IOAT; AMD PTDMA).
    public static let knownEngines: [UInt16: [UInt16: String]] = [
        0x8086: [0x0b25: "Intel DSA", 0x0cfe: "Intel IAX", 0x2021: "Intel CBDMA (IOAT)", 0x0b00: "Intel CBDMA (IOAT)"],
        0x1022: [0x1498: "AMD PTDMA"],
    ]

    /// Why `function` is a DMA engine or accelerator; nil when it is not one.
    ///
    /// Counted: class 08 01 (DMA controller); class 12 xx (processing accelerator); a function
    /// bound to a DMA engine driver (``dmaDrivers``) or with a known engine id (``knownEngines``).
    /// Class 08 80 ("other system peripheral", where Intel's DSA and CBDMA sit) is too broad on
    /// its own (chipset functions share it), so it counts only with a known driver or id.
    public static func classify(_ function: PCIFunction) -> String? {
        if let name = knownEngines[function.vendorID]?[function.deviceID] { return "known engine: \(name)" }
        if let driver = function.driver, dmaDrivers.contains(driver) { return "DMA engine driver \(driver)" }
        if function.classCode == 0x0801 { return "class 0801: DMA controller" }
        if function.classCode >> 8 == 0x12 { return "class \(hex4(function.classCode)): processing accelerator" }
        return nil
    }

    /// All PCI functions libpci reports (`sysfsPath`: a `/sys/bus/pci` directory; nil: libpci's
    /// choice), sorted by slot. With `names`, vendor and device names come from pci.ids (loading
    /// the database costs milliseconds); without, they are the ids in hex.
    public static func functions(sysfsPath: String?, names: Bool = false) throws(DMAError) -> [PCIFunction] {
        let flags: UInt32 = names ? DMAHOST_PCI_SCAN_NAMES : 0
        var capacity = 256
        while true {
            var records = [dmahost_pci_function](repeating: dmahost_pci_function(), count: capacity)
            var count = 0
            var error = [CChar](repeating: 0, count: 512)
            let rc: Int32 = records.withUnsafeMutableBufferPointer { out in
                if let sysfsPath {
                    return sysfsPath.withCString { dmahost_pci_scan($0, out.baseAddress, out.count, &count, flags, &error, error.count) }
                }
                return dmahost_pci_scan(nil, out.baseAddress, out.count, &count, flags, &error, error.count)
            }
            guard rc == 0 else {
                let message = String(decoding: error.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw .noDevice("libpci: \(message.isEmpty ? "scan failed" : message)")
            }
            if count > capacity {
                capacity = count
                continue
            }
            return records.prefix(count).map(PCIFunction.init).sorted { $0.slot < $1.slot }
        }
    }

    /// The DMA engines and accelerators among the PCI functions, with their pci.ids names (the
    /// database is loaded only when there is an engine to name), and how many functions there are.
    public static func scan(sysfsPath: String?) throws(DMAError) -> (engines: [PCIEngineInfo], functionCount: Int) {
        let all = try functions(sysfsPath: sysfsPath)
        var matches = all.filter { classify($0) != nil }
        if !matches.isEmpty {
            let slots = Set(matches.map(\.slot))
            matches = try functions(sysfsPath: sysfsPath, names: true).filter { slots.contains($0.slot) }
        }
        let engines = matches.compactMap { function in
            classify(function).map { PCIEngineInfo(function: function, reason: $0) }
        }
        return (engines, all.count)
    }
}

extension PCIFunction {
    init(_ c: dmahost_pci_function) {
        func text<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        }
        let driver = text(c.driver)
        self.init(
            slot: "\(hex(c.domain, width: 4)):\(hex(c.bus, width: 2)):\(hex(c.dev, width: 2)).\(c.func)",
            vendorID: c.vendor_id, deviceID: c.device_id, classCode: c.device_class,
            vendorName: text(c.vendor_name), deviceName: text(c.device_name),
            driver: driver.isEmpty ? nil : driver, numaNode: c.numa_node >= 0 ? Int(c.numa_node) : nil
        )
    }
}

func hex4(_ value: UInt16) -> String { hex(value, width: 4) }

/// `value` in lower-case hex, zero-padded to at least `width` digits.
func hex<T: BinaryInteger>(_ value: T, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
