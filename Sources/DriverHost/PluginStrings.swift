#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reading strings a plugin hands over, without trusting them: NULL, missing terminator
/// (within a bound) and invalid UTF-8 are reported, never decoded by guesswork.
enum PluginStrings {
    /// Longest string accepted from a plugin, in bytes (names, ids, descriptions).
    static let maximumLength = 4096

    /// Why a plugin string was refused.
    enum Problem: Error, Equatable {
        case null, unterminated, invalidUTF8
    }

    /// Decodes a NUL-terminated UTF-8 string of at most ``maximumLength`` bytes.
    static func decode(_ pointer: UnsafePointer<CChar>?) throws(Problem) -> String {
        guard let pointer else { throw .null }
        let length = strnlen(pointer, maximumLength + 1)
        guard length <= maximumLength else { throw .unterminated }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length).bindMemory(to: UInt8.self)
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return string
    }

    /// Decodes `pointer`, or returns a rejection message naming `field`.
    static func field(_ pointer: UnsafePointer<CChar>?, _ field: String) -> Result<String, PluginTableError> {
        do throws(Problem) {
            return .success(try decode(pointer))
        } catch {
            let what = switch error {
            case .null: "is NULL"
            case .unterminated: "is not NUL-terminated within \(maximumLength) bytes"
            case .invalidUTF8: "is not valid UTF-8"
            }
            return .failure(PluginTableError(kind: .invalidTable, message: "\(field) \(what)"))
        }
    }

    /// Best-effort text of a message buffer the plugin filled (error text, log line): invalid
    /// UTF-8 is replaced, not refused, since the text is only shown.
    static func message(_ pointer: UnsafePointer<CChar>?, capacity: Int = maximumLength) -> String {
        guard let pointer else { return "" }
        let length = strnlen(pointer, capacity)
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A problem found in what a plugin returned, before it becomes a ``PluginRejection``.
struct PluginTableError: Error, Equatable {
    var kind: PluginRejection.Kind
    var message: String
}
