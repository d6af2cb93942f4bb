import CIBVerbsShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The RDMA devices libibverbs can see (`ibv_get_device_list`).
public enum VerbsDeviceList {
    /// Names of the devices, e.g. `["rxe0"]`.
    ///
    /// Calls `ibv_get_device_list`, `ibv_get_device_name` and `ibv_free_device_list`.
    /// - Throws: ``VerbsError``; ENOSYS means the kernel has no verbs support at all.
    public static func names() throws(VerbsError) -> [String] {
        try withDevices { devices in devices.compactMap { ibv_get_device_name($0).map { String(cString: $0) } } }
    }

    /// Opens the device called `name` (`ibv_open_device`).
    /// - Throws: ``VerbsError`` with ENODEV when no device has that name.
    public static func open(name: String) throws(VerbsError) -> VerbsContext {
        let result: Result<VerbsContext, VerbsError> = try withDevices { devices in
            guard let device = devices.first(where: { ibv_get_device_name($0).map { String(cString: $0) } == name }) else {
                return .failure(VerbsError(function: "ibv_get_device_list", errno: ENODEV, context: "looking for RDMA device \(name)"))
            }
            return Result { () throws(VerbsError) in try VerbsContext(device: device, name: name) }
        }
        return try result.get()
    }

    /// Calls `body` with the device list, then frees it.
    private static func withDevices<R>(_ body: ([UnsafeMutablePointer<ibv_device>]) -> R) throws(VerbsError) -> R {
        var count: Int32 = 0
        let list = try VerbsCall.pointer("ibv_get_device_list", "listing RDMA devices") {
            dmahost_rdma_ibv_get_device_list(&count)
        }
        defer { ibv_free_device_list(list) }
        var devices: [UnsafeMutablePointer<ibv_device>] = []
        for index in 0..<Int(max(count, 0)) {
            if let device = list[index] { devices.append(device) }
        }
        return body(devices)
    }
}
