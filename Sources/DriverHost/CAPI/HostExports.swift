import CDMAHostABI
import DMAHost
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// dmahost/host.h: the driver host for C programs. Each function is exported under its C
// name; the contract (ownership, errors, threads) is in the header.

/// C ABI export of `dmahost_host_create`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_host_create")
public func dmahost_host_create_export(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let out else { return -EINVAL }
    let handle = HostHandle(host: DriverHost())
    out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    return 0
}

/// C ABI export of `dmahost_host_destroy`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_host_destroy")
public func dmahost_host_destroy_export(_ pointer: OpaquePointer?) {
    guard let pointer else { return }
    let handle = Unmanaged<HostHandle>.fromOpaque(UnsafeRawPointer(pointer))
    handle.takeUnretainedValue().host.shutdown()
    handle.release()
}

/// C ABI export of `dmahost_load_default`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_load_default")
public func dmahost_load_default_export(_ pointer: OpaquePointer?) -> Int32 {
    guard let handle = HostHandle.from(pointer) else { return -EINVAL }
    return loadedCount(handle.host.loadDefault())
}

/// C ABI export of `dmahost_load_path`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_load_path")
public func dmahost_load_path_export(_ pointer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    guard let handle = HostHandle.from(pointer), let path else { return -EINVAL }
    let outcomes = handle.host.load(paths: [String(cString: path)])
    // Refused in secure-execution mode; the refusal and its reason are recorded as a rejection.
    if handle.host.execution.pluginPathRefusal != nil { return -EPERM }
    return loadedCount(outcomes)
}

private func loadedCount(_ outcomes: [LoadOutcome]) -> Int32 {
    Int32(clamping: outcomes.count { if case .loaded = $0 { true } else { false } })
}

/// C ABI export of `dmahost_driver_count`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_driver_count")
public func dmahost_driver_count_export(_ pointer: OpaquePointer?) -> UInt32 {
    UInt32(clamping: HostHandle.from(pointer)?.host.drivers.count ?? 0)
}

/// C ABI export of `dmahost_driver_get`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_driver_get")
public func dmahost_driver_get_export(_ pointer: OpaquePointer?, _ index: UInt32,
                                      _ desc: UnsafeMutablePointer<dmahost_driver_desc>?) -> Int32 {
    guard let handle = HostHandle.from(pointer), let desc else { return -EINVAL }
    let drivers = handle.host.drivers
    guard Int(index) < drivers.count else { return -ERANGE }
    let driver = drivers[Int(index)]
    var full = dmahost_driver_desc()
    full.name = handle.cString(driver.name)
    full.version = handle.cString(driver.version)
    full.path = handle.cString(driver.path)
    full.source = handle.cString(driver.candidate.source.rawValue)
    full.device_count = UInt32(clamping: handle.host.devices.count { $0.driverName == driver.name })
    full.load_ns = nanoseconds(driver.loadDuration)
    full.probe_ns = nanoseconds(driver.probeDuration)
    return fillDescriptor(full, into: desc)
}

private func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000)
}

/// C ABI export of `dmahost_device_count`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_device_count")
public func dmahost_device_count_export(_ pointer: OpaquePointer?) -> UInt32 {
    UInt32(clamping: HostHandle.from(pointer)?.host.devices.count ?? 0)
}

/// C ABI export of `dmahost_device_get`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_device_get")
public func dmahost_device_get_export(_ pointer: OpaquePointer?, _ index: UInt32,
                                      _ desc: UnsafeMutablePointer<dmahost_device_desc>?) -> Int32 {
    guard let handle = HostHandle.from(pointer), let desc else { return -EINVAL }
    let devices = handle.host.devices
    guard Int(index) < devices.count else { return -ERANGE }
    let device = devices[Int(index)]
    var full = dmahost_device_desc()
    full.id = handle.cString(device.id)
    full.driver = handle.cString(device.driverName)
    full.description = handle.cString(device.info.description)
    full.type = device.info.type.rawValue
    full.alignment = device.info.alignment
    full.capabilities = device.info.capabilities.rawValue
    full.max_transfer_size = device.info.maxTransferSize ?? 0
    full.max_sge = device.info.maxSGE ?? 0
    full.is_open = handle.host.isOpen(device.id) ? 1 : 0
    return fillDescriptor(full, into: desc)
}

/// C ABI export of `dmahost_select`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_select")
public func dmahost_select_export(_ pointer: OpaquePointer?, _ selection: UnsafePointer<CChar>?,
                                  _ indices: UnsafeMutablePointer<UInt32>?, _ capacity: UInt32,
                                  _ count: UnsafeMutablePointer<UInt32>?,
                                  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int) -> Int32 {
    guard let handle = HostHandle.from(pointer), let selection, let count, indices != nil || capacity == 0 else {
        writeCString("dmahost_select: host, selection and count must not be NULL, nor indices when capacity > 0", to: err, length: errLength)
        return -EINVAL
    }
    let all = handle.host.devices
    let selected: [HostedDevice]
    do throws(DMAError) {
        selected = try handle.host.select(String(cString: selection))
    } catch {
        writeCString(error.message, to: err, length: errLength)
        return error.negativeErrno
    }
    let positions = selected.compactMap { device in all.firstIndex(of: device).map(UInt32.init) }
    count.pointee = UInt32(clamping: positions.count)
    for (slot, position) in positions.prefix(Int(capacity)).enumerated() { indices?[slot] = position }
    if positions.count > Int(capacity) {
        writeCString("selection has \(positions.count) devices, the array has room for \(capacity)", to: err, length: errLength)
        return -ENOBUFS
    }
    return 0
}

/// C ABI export of `dmahost_open`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_open")
public func dmahost_open_export(_ pointer: OpaquePointer?, _ selection: UnsafePointer<CChar>?,
                                _ domains: UnsafeMutablePointer<OpaquePointer?>?, _ capacity: UInt32,
                                _ count: UnsafeMutablePointer<UInt32>?,
                                _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int) -> Int32 {
    guard let handle = HostHandle.from(pointer), let selection, let count, domains != nil || capacity == 0 else {
        writeCString("dmahost_open: host, selection and count must not be NULL, nor domains when capacity > 0", to: err, length: errLength)
        return -EINVAL
    }
    let opened: [MemoryDomain]
    do throws(DMAError) {
        opened = try handle.host.open(String(cString: selection))
    } catch {
        writeCString(error.message, to: err, length: errLength)
        return error.negativeErrno
    }
    count.pointee = UInt32(clamping: opened.count)
    for (slot, domain) in opened.prefix(Int(capacity)).enumerated() { domains?[slot] = domain.handle }
    if opened.count > Int(capacity) {
        writeCString("\(opened.count) domains, the array has room for \(capacity)", to: err, length: errLength)
        return -ENOBUFS
    }
    return 0
}

/// C ABI export of `dmahost_close`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_close")
public func dmahost_close_export(_ pointer: OpaquePointer?, _ deviceID: UnsafePointer<CChar>?) -> Int32 {
    guard let handle = HostHandle.from(pointer), let deviceID else { return -EINVAL }
    do throws(DMAError) {
        try handle.host.close(deviceID: String(cString: deviceID))
        return 0
    } catch {
        return error.negativeErrno
    }
}

/// C ABI export of `dmahost_rejection_count`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_rejection_count")
public func dmahost_rejection_count_export(_ pointer: OpaquePointer?) -> UInt32 {
    UInt32(clamping: HostHandle.from(pointer)?.host.rejections.count ?? 0)
}

/// C ABI export of `dmahost_rejection_get`; the contract is in `dmahost/host.h`.
@_cdecl("dmahost_rejection_get")
public func dmahost_rejection_get_export(_ pointer: OpaquePointer?, _ index: UInt32,
                                         _ desc: UnsafeMutablePointer<dmahost_rejection_desc>?) -> Int32 {
    guard let handle = HostHandle.from(pointer), let desc else { return -EINVAL }
    let rejections = handle.host.rejections
    guard Int(index) < rejections.count else { return -ERANGE }
    let rejection = rejections[Int(index)]
    var full = dmahost_rejection_desc()
    full.path = handle.cString(rejection.candidate.path)
    full.source = handle.cString(rejection.candidate.source.rawValue)
    full.kind = handle.cString(rejection.kind.rawValue)
    full.reason = handle.cString(rejection.reason)
    return fillDescriptor(full, into: desc)
}
