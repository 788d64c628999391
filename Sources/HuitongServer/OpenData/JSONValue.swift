import Foundation
import HuitongCore
import HuitongServices

/// A JSON document built in code, for bodies whose shape another system fixes (CKAN's action API, JSON-LD):
/// they need explicit `null`s and keep their keys in the order written, which synthesised `Encodable` does not give.
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A number or boolean written as it is (a typed pool value: exact decimal digits, no binary rounding).
    case literal(String)
    case string(String)
    case array([JSONValue])
    /// Keys in the order they are written out.
    case object([JSONMember])

    /// `.string(text)`, or `.null` when there is no text.
    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    /// A pool value in its column's type: `null`, a number or boolean as itself, anything else as a string.
    static func value(_ text: String?, as type: ColumnType) -> JSONValue {
        guard let text else { return .null }
        return type.jsonLiteral(text).map(JSONValue.literal) ?? .string(text)
    }

    /// The member `key` of an object, if this is one and has it.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The compact UTF-8 text of the value; characters outside ASCII are written as themselves, not escaped.
    var serialized: String {
        var output = ""
        write(to: &output)
        return output
    }

    func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value): output += value.isFinite ? String(value) : "null"
        case .literal(let text): output += text
        case .string(let value): JSONString.append(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                JSONString.append(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }
}

/// One `"key": value` pair of a JSON object.
struct JSONMember: Sendable, Hashable {
    var key: String
    var value: JSONValue

    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { JSONMember($0.0, $0.1) })
    }
}

/// Reading request parameters: CKAN clients send JSON bodies whose values may be strings, numbers, booleans or lists.
extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            let members = try container.decode([String: JSONValue].self)
            self = .object(members.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value) })
        }
    }
}

/// One pool value for a synthesised `Encodable` body, in its column's type: null, a number or boolean as itself,
/// anything else (dates, text, masked values) as a string.
struct TypedCell: Codable, Sendable, Hashable {
    let text: String?
    let type: ColumnType

    init(_ text: String?, as type: ColumnType) {
        self.text = text
        self.type = type
    }

    /// A cell read back (by a client, or a test): a JSON number, boolean or string, typed by what it is.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self.init(nil, as: .text)
        } else if let flag = try? container.decode(Bool.self) {
            self.init(flag ? "true" : "false", as: .boolean)
        } else if let number = try? container.decode(Int64.self) {
            self.init(String(number), as: .integer)
        } else if let number = try? container.decode(Decimal.self) {
            self.init(number.description, as: .decimal)
        } else {
            self.init(try container.decode(String.self), as: .text)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        guard let text else { return try container.encodeNil() }
        switch (type, type.jsonLiteral(text)) {
        case (.integer, .some(let literal)): try container.encode(Int64(literal)!)
        case (.decimal, .some(let literal)): try container.encode(Decimal(string: literal)!)
        case (.boolean, .some(let literal)): try container.encode(literal == "true")
        default: try container.encode(text)
        }
    }
}
