import Foundation

/// Rows from JSON deliveries: NDJSON (one object per line, streamed) or a JSON array of objects.
///
/// The first object's keys become the header; later objects are read by the same keys, so key order does not
/// matter and missing keys are empty cells.
public struct JSONRowReader: Sendable {
    public private(set) var header: [String]?
    private var pending: [UInt8] = []
    var line = 0

    public init() {}

    /// Values as text: strings as they are, whole numbers without a decimal point, booleans as true/false.
    enum Value: Decodable {
        case text(String)
        case number(Double)
        case flag(Bool)
        case null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let flag = try? container.decode(Bool.self) {
                self = .flag(flag)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        var text: String {
            switch self {
            case .text(let text): text
            case .number(let number):
                number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .flag(let flag): flag ? "true" : "false"
            case .null: ""
            }
        }
    }

    /// Feeds NDJSON bytes; returns the complete rows (the first call also yields the header as row 1).
    public mutating func consume(_ bytes: some Collection<UInt8>) throws(TabularError) -> [(
        number: Int, cells: [String]
    )] {
        pending.append(contentsOf: bytes)
        var rows: [(number: Int, cells: [String])] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let lineBytes = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            rows += try take(lineBytes)
        }
        return rows
    }

    public mutating func finish() throws(TabularError) -> [(number: Int, cells: [String])] {
        defer { pending = [] }
        return try take(pending)
    }

    /// Reads a whole JSON array of objects.
    public static func array(_ data: Data) throws(TabularError) -> [(number: Int, cells: [String])] {
        let objects: [[String: Value]]
        do {
            objects = try JSONDecoder().decode([[String: Value]].self, from: data)
        } catch {
            throw .malformedJSON(line: 1)
        }
        var reader = JSONRowReader()
        var rows: [(number: Int, cells: [String])] = []
        for (index, object) in objects.enumerated() {
            reader.line = index + 1
            rows += reader.rows(for: object)
        }
        return rows
    }

    private mutating func take(_ bytes: [UInt8]) throws(TabularError) -> [(number: Int, cells: [String])] {
        line += 1
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return [] }
        guard let object = try? JSONDecoder().decode([String: Value].self, from: Data(trimmed)) else {
            throw .malformedJSON(line: line)
        }
        return rows(for: object)
    }

    private mutating func rows(for object: [String: Value]) -> [(number: Int, cells: [String])] {
        var rows: [(number: Int, cells: [String])] = []
        if header == nil {
            let keys = object.keys.sorted()
            header = keys
            rows.append((1, keys))
        }
        rows.append((line + 1, (header ?? []).map { object[$0]?.text ?? "" }))
        return rows
    }
}
