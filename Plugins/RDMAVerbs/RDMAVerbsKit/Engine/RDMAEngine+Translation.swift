import CIBVerbsShim
import RegistrationCache

/// Translation (host buffer → lkey/rkey) and invalidation.
extension RDMAEngine {
    /// Keys for a host buffer: registered in the backend's protection domain, or in
    /// `foreignPD` when a caller translates for a queue pair or domain of another one. The
    /// registration stays (pinned) until ``invalidate(address:length:)`` covers it.
    public func translate(address: UnsafeMutableRawPointer, length: Int,
                          foreignPD: UnsafeMutableRawPointer? = nil) throws(RegistrationCacheError) -> (lkey: UInt32, rkey: UInt32) {
        guard length > 0 else { throw .invalidRange(address: UInt(bitPattern: address), length: 0) }
        let pd = foreignPD?.assumingMemoryBound(to: ibv_pd.self)
        return try registrations.translate(address: UInt(bitPattern: address), length: UInt(length), foreignPD: pd)
    }

    /// Drops the registrations overlapping a host buffer (in every protection domain). Keys
    /// handed out for them stop working once no operation uses them any more.
    /// - Returns: The number of regions affected.
    @discardableResult
    public func invalidate(address: UnsafeMutableRawPointer, length: Int) -> Int {
        guard length > 0 else { return 0 }
        return registrations.invalidate(address: UInt(bitPattern: address), length: UInt(length))
    }
}
