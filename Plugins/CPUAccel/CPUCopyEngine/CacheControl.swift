/// Whether the copies and fills of an engine leave their destination in the CPU caches: the
/// software counterpart of the cache-control flag of a DSA descriptor.
///
/// A regular store into memory that is not cached first reads the line (read for ownership),
/// and the line is written back when it is evicted; a non-temporal (streaming) store writes
/// whole lines to memory without reading them or evicting anything. For a destination nobody
/// reads soon (data going out to a device, a buffer handed to another socket), bypassing the
/// cache saves a third of the memory traffic and keeps the caches for what the program uses;
/// for a destination that is read right away, or already cached, it costs a trip to memory.
public enum CacheControl: String, Sendable, Equatable, CaseIterable {
    /// Every destination is written through the caches (`memcpy`, `memset`), as a DSA
    /// descriptor with its cache-control flag set: the data is in the cache afterwards.
    case allocate
    /// Destinations of operation parts of at least
    /// ``CopyEngineConfiguration/bypassMinimumBytes`` bytes are written with non-temporal
    /// stores, as a DSA descriptor without the cache-control flag: for data that goes to
    /// memory and is not read soon by this CPU. Smaller parts are written through the caches.
    case bypass
    /// Parts of at least ``CopyEngineConfiguration/bypassMinimumBytes`` bytes bypass the caches
    /// unless their destination was written recently: again before the engine wrote
    /// ``CopyEngineConfiguration/reuseWindowBytes`` (the last-level cache) elsewhere, so that
    /// it is probably still cached (``DestinationHistory``). Buffers the program keeps reusing
    /// stay cached; streams through memory larger than the cache bypass it.
    case auto

    /// The smallest part written with non-temporal stores under this setting of `configuration`
    /// (`Int.max`: none; under ``auto``, only when its destination is not recent).
    func streamingThreshold(_ configuration: CopyEngineConfiguration) -> Int {
        switch self {
        case .allocate: .max
        case .bypass, .auto: configuration.bypassMinimumBytes
        }
    }
}
