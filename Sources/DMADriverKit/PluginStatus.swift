#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A status a plugin returned (`probe`, `open`, `diagnose`, a domain callback, a completion's
/// `rc`), normalised into what the ABI allows: 0 or a negated errno.
///
/// The ABI says 0 or `-errno`; a careless plugin may return anything an `int` holds. Every
/// place where the host reads a plugin's status goes through this type, so that no value can
/// trap (negating `Int32.min` does) or be mistaken for success:
///
/// | Returned | ``negativeErrno`` | ``isWellFormed`` |
/// | --- | --- | --- |
/// | 0 | 0 | yes |
/// | `-4095 ... -1` | the value | yes |
/// | `1 ... Int32.max` (positive) | `-EIO` | no |
/// | `Int32.min ... -4096` | `-EIO` | no |
///
/// A malformed status is a failure (never a success) reported as `-EIO`; ``problem`` says what
/// the plugin returned, for the caller's log line.
public struct PluginStatus: Sendable, Hashable, CustomStringConvertible {
    /// The value exactly as the plugin returned it.
    public let raw: Int32

    /// Wraps a status a plugin returned.
    public init(_ raw: Int32) { self.raw = raw }

    /// True for 0 and for a negated errno in `-DMAError.maximumErrno ... -1`.
    public var isWellFormed: Bool { raw == 0 || (raw < 0 && raw >= -DMAError.maximumErrno) }

    /// True only for 0.
    public var isSuccess: Bool { raw == 0 }

    /// 0, the negated errno the plugin returned, or `-EIO` for a malformed status.
    public var negativeErrno: Int32 { isWellFormed ? raw : -EIO }

    /// For a malformed status, what the plugin returned and how it is treated (for a log line);
    /// nil when well formed.
    public var problem: String? {
        guard !isWellFormed else { return nil }
        let what = raw > 0 ? "a positive value" : "below -\(DMAError.maximumErrno)"
        return "returned status \(raw) (\(what)), which is not 0 or a negated errno (-\(DMAError.maximumErrno)...-1); treated as -EIO (the driver breaks dmahost/driver.h: report it to its vendor)"
    }

    /// The error for a failed status, with `context` saying what was done; nil for success.
    public func error(context: String) -> DMAError? {
        guard !isSuccess else { return nil }
        if let problem { return .ioError("\(context): \(problem)") }
        return DMAError(errno: raw, context: context)
    }

    public var description: String { isWellFormed ? "\(raw)" : "\(raw) (malformed, treated as -EIO)" }
}
