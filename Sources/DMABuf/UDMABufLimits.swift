import DMADriverKit

/// One memfd range of a udmabuf (`struct udmabuf_create_item`).
public struct UDMABufSegment: Sendable, Hashable {
    /// The memfd holding the pages.
    public var memfd: Int32
    /// Offset in the memfd (whole pages).
    public var offset: UInt64
    /// Length (whole pages).
    public var size: UInt64

    /// Describes a range of a memfd.
    public init(memfd: Int32, offset: UInt64, size: UInt64) {
        self.memfd = memfd
        self.offset = offset
        self.size = size
    }
}

/// udmabuf's limits: its module parameters `list_limit` (ranges per UDMABUF_CREATE_LIST) and
/// `size_limit_mb` (MiB per dma-buf), read from `/sys/module/udmabuf/parameters/`.
public struct UDMABufLimits: Sendable, Hashable {
    /// Most ranges in one UDMABUF_CREATE_LIST; nil when unknown.
    public var listLimit: UInt32?
    /// Largest dma-buf in MiB; nil when unknown.
    public var sizeLimitMB: UInt64?

    /// Limits with the given values.
    public init(listLimit: UInt32?, sizeLimitMB: UInt64?) {
        self.listLimit = listLimit
        self.sizeLimitMB = sizeLimitMB
    }

    /// Reads the module parameters under `sysfsRoot` (injectable for tests).
    public static func read(sysfsRoot: String = "/sys") -> UDMABufLimits {
        let directory = "\(sysfsRoot)/module/udmabuf/parameters"
        func value(_ name: String) -> UInt64? {
            SystemFiles.attribute("\(directory)/\(name)").flatMap { UInt64($0) }
        }
        return UDMABufLimits(listLimit: value("list_limit").flatMap { UInt32(exactly: $0) }, sizeLimitMB: value("size_limit_mb"))
    }

    /// Largest dma-buf in bytes; nil when unknown.
    public var sizeLimitBytes: UInt64? { sizeLimitMB.map { $0 &* 1024 &* 1024 } }

    /// Checks a request the way the kernel will, before the ioctl, so that each refusal gets its
    /// own message: count within `list_limit`, every range page-aligned and non-empty, every fd an
    /// open memfd sealed with F_SEAL_SHRINK and not F_SEAL_WRITE, every range inside its memfd,
    /// and the total within `size_limit_mb`.
    public func validate(_ segments: [UDMABufSegment]) throws(DMAError) {
        guard !segments.isEmpty else { throw .invalidArgument("a udmabuf needs at least one memfd range") }
        if let listLimit, segments.count > Int(listLimit) {
            throw .invalidArgument("\(segments.count) ranges exceed udmabuf's list_limit of \(listLimit) per UDMABUF_CREATE_LIST (module parameter /sys/module/udmabuf/parameters/list_limit); merge or split the ranges, or raise it (udmabuf.list_limit=N on the kernel command line)")
        }
        var total: UInt64 = 0
        for (index, segment) in segments.enumerated() {
            let name = segments.count == 1 ? "memfd \(segment.memfd)" : "range \(index) (memfd \(segment.memfd))"
            guard segment.size > 0 else { throw .invalidArgument("\(name): size is 0; udmabuf ranges must be at least one page") }
            guard PageSize.isAligned(segment.offset) else {
                throw .invalidArgument("\(name): offset \(segment.offset) is not a multiple of the page size (\(PageSize.bytes)); udmabuf maps whole pages of the memfd")
            }
            guard PageSize.isAligned(segment.size) else {
                throw .invalidArgument("\(name): size \(segment.size) is not a multiple of the page size (\(PageSize.bytes)); round it up to \(PageSize.roundUp(segment.size).map(String.init) ?? "a page multiple")")
            }
            try requireOpen(segment.memfd, role: "memfd")
            guard let seals = try Memfd.seals(of: segment.memfd) else {
                throw .invalidArgument("\(name): fd \(segment.memfd) is not a memfd (F_GET_SEALS refused it); udmabuf takes memory from memfd_create only")
            }
            guard seals.contains(.shrink) else {
                throw .invalidArgument("\(name): memfd is not sealed with F_SEAL_SHRINK, which udmabuf requires; create it with MFD_ALLOW_SEALING and call fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) after sizing it")
            }
            guard !seals.contains(.write), !seals.contains(.futureWrite) else {
                throw .invalidArgument("\(name): memfd is sealed against writing (F_SEAL_WRITE/F_SEAL_FUTURE_WRITE); udmabuf refuses read-only memory")
            }
            let fileSize = try Memfd.size(of: segment.memfd)
            let (end, overflow) = segment.offset.addingReportingOverflow(segment.size)
            guard !overflow, end <= fileSize else {
                throw .invalidArgument("\(name): range [\(segment.offset), \(segment.offset &+ segment.size)) lies beyond the memfd's \(fileSize) bytes")
            }
            total += segment.size
            if let limit = sizeLimitBytes, total > limit {
                throw .invalidArgument("\(total) bytes exceed udmabuf's size_limit_mb of \(sizeLimitMB ?? 0) MiB per dma-buf (module parameter /sys/module/udmabuf/parameters/size_limit_mb); use several buffers, or raise it (udmabuf.size_limit_mb=N on the kernel command line)")
            }
        }
    }
}
