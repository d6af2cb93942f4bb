import Foundation

/// A JSON value that keeps booleans, integers and other numbers apart (what JSON Schema's
/// `type` needs), decoded with JSONDecoder.
indirect enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Parses one JSON document.
    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "'\(value)'"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON Schema validator for the keywords docs/schema/dmactl.schema.json uses: `$ref` (to
/// `#/$defs/…`), `type` (a name or a list of names), `properties`, `required`,
/// `additionalProperties` (false), `items`, `enum`, `const`, `oneOf`, `minimum` and `pattern`.
/// ``unsupportedKeywords()`` names any other keyword the schema uses, so that the schema cannot
/// promise more than is checked.
struct JSONSchemaValidator {
    let root: JSONValue

    static let supported: Set<String> = ["$schema", "$id", "$ref", "$defs", "title", "description", "type", "properties", "required",
                                         "additionalProperties", "items", "enum", "const", "oneOf", "minimum", "pattern"]

    init(contentsOf path: String) throws {
        root = try JSONValue.parse(try String(contentsOfFile: path, encoding: .utf8))
    }

    /// Every violation of `value` against the root schema, as "path: problem" lines.
    func problems(_ value: JSONValue) -> [String] { problems(value, root, at: "$") }

    /// Keywords the schema uses that this validator does not check.
    func unsupportedKeywords() -> Set<String> {
        var found = Set<String>()
        func walk(_ schema: JSONValue, namesOnly: Bool) {
            switch schema {
            case .object(let members):
                for (key, value) in members {
                    if !namesOnly && !Self.supported.contains(key) { found.insert(key) }
                    walk(value, namesOnly: !namesOnly && (key == "properties" || key == "$defs"))
                }
            case .array(let items) where !namesOnly:
                for item in items { walk(item, namesOnly: false) }
            default:
                break
            }
        }
        walk(root, namesOnly: false)
        return found
    }

    private func problems(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        if case .string(let reference)? = schema["$ref"] {
            guard reference.hasPrefix("#/$defs/"), let target = root["$defs"]?[String(reference.dropFirst("#/$defs/".count))] else {
                return ["\(path): unresolved $ref \(reference)"]
            }
            return problems(value, target, at: path)
        }
        if let type = schema["type"] {
            let names: [String] = switch type {
            case .string(let name): [name]
            case .array(let items): items.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: []
            }
            if !names.contains(where: { Self.matches(value, type: $0) }) {
                return ["\(path): \(value) is not of type \(names.joined(separator: "|"))"]
            }
        }
        var found: [String] = []
        if let constant = schema["const"], !Self.equal(value, constant) { found.append("\(path): \(value) is not \(constant)") }
        if case .array(let choices)? = schema["enum"], !choices.contains(where: { Self.equal(value, $0) }) {
            found.append("\(path): \(value) is not one of \(choices)")
        }
        if let minimum = schema["minimum"].flatMap(Self.number), let number = Self.number(value), number < minimum {
            found.append("\(path): \(value) is below \(minimum)")
        }
        if case .string(let pattern)? = schema["pattern"], case .string(let text) = value,
           text.range(of: pattern, options: .regularExpression) == nil {
            found.append("\(path): \(value) does not match \(pattern)")
        }
        if case .array(let alternatives)? = schema["oneOf"] {
            let results = alternatives.map { problems(value, $0, at: path) }
            let passing = results.count(where: \.isEmpty)
            if passing != 1 {
                let closest = results.min { $0.count < $1.count } ?? []
                found.append("\(path): matches \(passing) oneOf alternatives, not 1"
                             + (passing == 0 ? " (closest: \(closest.joined(separator: "; ")))" : ""))
            }
        }
        if case .object(let members) = value {
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where members[key] == nil { found.append("\(path): lacks \(key)") }
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = schema["properties"]?[key] {
                    found += problems(member, property, at: "\(path).\(key)")
                } else if schema["additionalProperties"] == .bool(false) {
                    found.append("\(path): unexpected key \(key)")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { found += problems(item, itemSchema, at: "\(path)[\(index)]") }
        }
        return found
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): Double(number)
        case .number(let number): number
        default: nil
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string),
             ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number == number.rounded()
        default: false
        }
    }

    private static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if let left = number(lhs), let right = number(rhs) { return left == right }
        return lhs == rhs
    }
}
