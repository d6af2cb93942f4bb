import CCPUEngineSupport

/// The data path's choice between cached and non-temporal stores, made once per engine: the
/// widest streaming kernel the CPU supports (`dmahost_copy_kernel_detect`) and the smallest
/// part that uses it (``CacheControl``).
struct CopyKernels {
    /// The kernel of streaming parts (`enum dmahost_copy_kernel`); `DMAHOST_COPY_KERNEL_MEMCPY`
    /// when the CPU has none.
    let streamingKernel: Int32
    /// Parts of at least this many bytes stream; `Int.max`: none.
    let streamingThreshold: Int
    /// Under ``CacheControl/auto``: the recent destinations, which are written through the
    /// caches; nil otherwise.
    let history: DestinationHistory?

    /// The kernels of an engine with `configuration`, on this CPU.
    init(configuration: CopyEngineConfiguration) {
        let kernel = Int32(dmahost_copy_kernel_detect())
        streamingKernel = kernel
        streamingThreshold = kernel == Int32(DMAHOST_COPY_KERNEL_MEMCPY.rawValue)
            ? .max : configuration.cacheControl.streamingThreshold(configuration)
        history = configuration.cacheControl == .auto ? DestinationHistory(windowBytes: configuration.reuseWindowBytes) : nil
    }

    /// The kernel for a part: 0 (`memcpy`, `memset`) below the threshold or, under auto, for
    /// a destination written recently; the streaming kernel otherwise.
    @inline(__always)
    private func kernel(for descriptor: Descriptor) -> Int32 {
        guard descriptor.length >= streamingThreshold else { return 0 }
        guard let history else { return streamingKernel }
        guard let list = descriptor.destination, descriptor.destinationIndex < descriptor.destinationCount,
              let base = list[Int(descriptor.destinationIndex)].iov_base else { return streamingKernel }
        return history.recordWrite(at: base + descriptor.destinationOffset, length: descriptor.length) ? 0 : streamingKernel
    }

    /// The name of the streaming kernel this CPU runs ("avx512", "avx2", "sse2", or "memcpy"
    /// when it has none).
    static var detectedKernelName: String {
        String(cString: dmahost_copy_kernel_name(dmahost_copy_kernel_detect()))
    }

    /// How parts below the threshold (and recent destinations) are copied: "rep movsb" or
    /// "memcpy" (`dmahost_copy_cached`).
    static var cachedCopyName: String {
        dmahost_copy_cached_uses_movsb() == 1 ? "rep movsb" : "memcpy"
    }

    /// Runs a copy part: non-temporal stores when it is large enough, else a cached copy.
    @inline(__always)
    func copy(_ descriptor: Descriptor) -> Int32 {
        // Small parts (the most frequent) take the memcpy path without looking further.
        descriptor.length < streamingThreshold
            ? ScatterGather.copy(descriptor) : ScatterGather.copy(descriptor, streamingKernel: kernel(for: descriptor))
    }

    /// Runs a fill part: non-temporal stores when it is large enough, else `memset`.
    @inline(__always)
    func fill(_ descriptor: Descriptor) -> Int32 {
        descriptor.length < streamingThreshold
            ? ScatterGather.fill(descriptor) : ScatterGather.fill(descriptor, streamingKernel: kernel(for: descriptor))
    }
}
