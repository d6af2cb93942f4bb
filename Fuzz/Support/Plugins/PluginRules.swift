import CDMAHostABI

// The rules of Plugins/README.md ("The rules the loader enforces") that the driver_table and device_info
// targets model, written from the documentation rather than taken from the host's code.

/// The naming rule: 1...64 bytes among A-Z a-z 0-9 . _ -.
func isValidName(_ name: String) -> Bool {
    let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
    return (1...64).contains(name.utf8.count) && name.utf8.allSatisfy(allowed.contains)
}

/// Names of the built-in backends.
let builtInNames: Set<String> = ["cpu", "rdma", "dmaengine"]

/// The device-type rule: built-in drivers serve RDMA, DMA or ACCEL; others vendor types 1000...1999.
func typeAllowed(_ type: Int32, driver: String) -> Bool {
    let builtIn: Set<Int32> = [Int32(SPDK_DMA_DEVICE_TYPE_RDMA.rawValue), Int32(SPDK_DMA_DEVICE_TYPE_DMA.rawValue),
                               Int32(SPDK_DMA_DEVICE_TYPE_ACCEL.rawValue)]
    return builtInNames.contains(driver) ? builtIn.contains(type) : (1000...1999).contains(type)
}

/// A device type chosen by the input.
func deviceType(_ input: inout FuzzInput) -> Int32 {
    switch input.byte() % 4 {
    case 0: Int32(input.int(in: 0...3))
    case 1: Int32(input.int(in: 999...2000))
    case 2: 1000
    default: Int32(truncatingIfNeeded: input.unsigned(bytes: 4))
    }
}
