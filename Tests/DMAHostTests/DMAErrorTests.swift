import DMAHost
import Foundation
import Testing

/// DMAError: errno mapping in both directions, messages, and the device-type wrapper.
@Suite("DMAError and DMADeviceType")
struct DMAErrorTests {
    /// The case of an error as a string, for table-driven checks.
    static func caseName(_ error: DMAError) -> String {
        switch error {
        case .invalidArgument: "invalidArgument"
        case .outOfMemory: "outOfMemory"
        case .notSupported: "notSupported"
        case .tryAgain: "tryAgain"
        case .noDevice: "noDevice"
        case .ioError: "ioError"
        case .cancelled: "cancelled"
        case .system: "system"
        }
    }

    @Test("negative and positive errnos map to the same case, and back", arguments: AsyncAPITests.errnoCases)
    func mapping(mapping: (Int32, String)) {
        for code in [mapping.0, -mapping.0] {
            let error = DMAError(errno: code, context: "pull from test")
            #expect(Self.caseName(error) == mapping.1)
            #expect(error.errno == mapping.0)
            #expect(error.negativeErrno == -mapping.0)
            #expect(error.message.hasPrefix("pull from test: "))
            #expect(error.message.contains(String(cString: strerror(mapping.0))))
            #expect(error.description == error.message)
        }
    }

    @Test("errors built from cases report their errno")
    func caseErrnos() {
        #expect(DMAError.invalidArgument("x").errno == EINVAL)
        #expect(DMAError.outOfMemory("x").negativeErrno == -ENOMEM)
        #expect(DMAError.notSupported("x").errno == ENOTSUP)
        #expect(DMAError.tryAgain("x").errno == EAGAIN)
        #expect(DMAError.noDevice("x").errno == ENODEV)
        #expect(DMAError.ioError("x").errno == EIO)
        #expect(DMAError.cancelled("x").errno == ECANCELED)
        #expect(DMAError.system(errno: EPERM, "x").errno == EPERM)
        #expect(DMAError.ioError("a") != DMAError.ioError("b"))
    }

    @Test("DMAError(errno:) is total: every Int32 gives an errno in 1...4095",
          arguments: [Int32.min, Int32.min + 1, -4096, -4095, -1, 0, 1, 4095, 4096, Int32.max])
    func errnoInitIsTotal(value: Int32) {
        let error = DMAError(errno: value, context: "test")
        #expect((1...DMAError.maximumErrno).contains(error.errno))
        #expect(error.negativeErrno == -error.errno)
        if value.magnitude >= 1 && value.magnitude <= 4095 {
            #expect(error.errno == Int32(value.magnitude))
        } else {
            #expect(error.errno == EIO)
            #expect(error.message.contains("status \(value)"))
        }
        #expect(DMAError.system(errno: value, "x").errno >= 1)
    }

    @Test("PluginStatus keeps 0 and negated errnos, maps everything else to -EIO with a reason")
    func pluginStatus() {
        #expect(PluginStatus(0).negativeErrno == 0 && PluginStatus(0).isWellFormed && PluginStatus(0).error(context: "x") == nil)
        #expect(PluginStatus(-EINVAL).negativeErrno == -EINVAL && PluginStatus(-EINVAL).problem == nil)
        #expect(PluginStatus(-4095).isWellFormed)
        for value in [Int32.min, -4096, 1, Int32.max] {
            let status = PluginStatus(value)
            #expect(!status.isWellFormed)
            #expect(status.negativeErrno == -EIO)
            #expect(status.problem?.contains("\(value)") == true)
            #expect(status.error(context: "open")?.errno == EIO)
        }
    }

    @Test("device types match the C enum; vendor types are 1000...1999")
    func deviceTypes() {
        #expect(DMADeviceType.rdma.rawValue == 0)
        #expect(DMADeviceType.dma.rawValue == 1)
        #expect(DMADeviceType.accel.rawValue == 2)
        #expect(DMADeviceType.vendorRange == 1000...1999)
        #expect(DMADeviceType.vendor(0)?.rawValue == 1000)
        #expect(DMADeviceType.vendor(999)?.rawValue == 1999)
        #expect(DMADeviceType.vendor(1000) == nil)
        #expect(DMADeviceType.vendor(-1) == nil)
        #expect(DMADeviceType(rawValue: 1500).isVendor)
        #expect(!DMADeviceType(rawValue: 2000).isVendor)
        #expect(DMADeviceType.rdma.isBuiltIn && DMADeviceType.dma.isBuiltIn && DMADeviceType.accel.isBuiltIn)
        #expect(!DMADeviceType(rawValue: 3).isBuiltIn)
        #expect(DMADeviceType.accel.cValue.rawValue == 2)
        #expect("\(DMADeviceType.rdma)" == "RDMA")
        #expect("\(DMADeviceType(rawValue: 1001))" == "VENDOR(1001)")
        #expect("\(DMADeviceType(rawValue: 7))" == "UNKNOWN(7)")
    }

    @Test("a Swift-created domain keeps any device type as given", arguments: [Int32(0), 2, 1000, 1999, 5000])
    func swiftCreateType(raw: Int32) throws {
        let domain = try MemoryDomain.create(type: DMADeviceType(rawValue: raw), id: nil)
        defer { domain.destroy() }
        #expect(domain.type.rawValue == raw)
        #expect(domain.id == nil)
        #expect(domain.description.contains("nil"))
    }
}
