#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// dmactl's `--format json` documents (docs/dmactl-json.md, docs/schema/dmactl.schema.json).
///
/// Every command prints exactly one JSON object on standard output: `schema_version`, `command`,
/// the command's own members, and `error` when it ends with a nonzero exit status. Keys are
/// snake_case (Swift property names converted by the encoder, so no data value is ever used as a
/// key), units are part of a key's name (`size_bytes`, `gb_per_s`), absent values are `null`
/// rather than missing keys, and keys are sorted.
enum JSONOutput {
    /// Version of the documents' structure: raised when a key disappears or changes meaning
    /// (adding keys keeps it).
    static let schemaVersion = 1

    /// The text of one document: the envelope around `body`, with `failure` as its `error`.
    static func render<Body: Encodable>(_ body: Body, command: String, failure: Failure? = nil) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let document = Document(command: command, body: body, error: failure.map(ErrorJSON.init))
        do {
            return String(decoding: try encoder.encode(document), as: UTF8.self)
        } catch {
            // Only a value the encoder cannot represent gets here (the bodies hold finite numbers).
            let fallback = Document(command: command, body: Empty(),
                                    error: ErrorJSON(Failure(.failed, "cannot encode the \(command) report as JSON: \(error)")))
            return (try? encoder.encode(fallback)).map { String(decoding: $0, as: UTF8.self) }
                ?? #"{"command":"\#(command)","error":{"exit_status":1,"message":"cannot encode the report","status":"failed"},"schema_version":1}"#
        }
    }

    /// Prints one document on standard output.
    static func emit<Body: Encodable>(_ body: Body, command: String, failure: Failure? = nil) {
        print(render(body, command: command, failure: failure))
    }

    /// The document of a command that failed before it had anything else to say.
    static func emitError(_ failure: Failure, command: String) {
        emit(Empty(), command: command, failure: failure)
    }

    /// A body without members of its own.
    struct Empty: Encodable {}

    /// The envelope: the version and command, the body's members at the same level, the error.
    private struct Document<Body: Encodable>: Encodable {
        let command: String
        let body: Body
        let error: ErrorJSON?

        private enum Keys: String, CodingKey { case schemaVersion, command, error }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(JSONOutput.schemaVersion, forKey: .schemaVersion)
            try container.encode(command, forKey: .command)
            try container.encodeIfPresent(error, forKey: .error)
            try body.encode(to: encoder)
        }
    }

    /// The `error` member: what went wrong and the exit status it gives.
    private struct ErrorJSON: Encodable {
        let message: String
        let exitStatus: Int32
        /// The status's name, e.g. "noDevice" (see ``ExitStatus``).
        let status: String

        init(_ failure: Failure) {
            message = failure.message
            exitStatus = failure.status.rawValue
            status = failure.status.name
        }
    }
}

/// An optional that is encoded as `null` when absent (the encoder's default omits the key), so
/// that every document of a kind has the same keys.
@propertyWrapper
struct Nullable<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension Nullable: Sendable where Value: Sendable {}

/// A key made at run time from a Swift name (converted to snake_case like the others).
struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// `value` when it is finite, else nil: JSON has no infinity or NaN.
func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
