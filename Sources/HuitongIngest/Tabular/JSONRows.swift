import Foundation

/// Rows from JSON deliveries, streamed: NDJSON (one object per line) or a JSON array of objects, fed in chunks
/// of any size, so that memory stays bounded by the largest single object.
///
/// The first object's keys become the header; later objects are read by the same keys, so key order does not
/// matter and missing keys are empty cells. A row's number is the file line its object starts on, so that error
/// reports point where an editor shows the object; the header counts as row 0.
public struct JSONRowReader: Sendable {
    public enum Layout: Sendable {
        /// One object per line.
        case lines
        /// `[ {…}, {…} ]`, laid out in any way.
        case array
    }

    public private(set) var header: [String]?
    let layout: Layout
    /// The current line of the file (1-based).
    private var line = 1
    private var pending: [UInt8] = []
    // The state of an array being scanned.
    private var state = ArrayState.start
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var objectLine = 1

    fileprivate enum ArrayState: Sendable {
        case start
        case beforeElement(first: Bool)
        case inElement
        case afterElement
        case end
    }

    public init(layout: Layout = .lines) {
        self.layout = layout
    }

    /// Values as text: strings as they are, whole numbers without a decimal point, booleans as true/false, nested
    /// objects and arrays as compact JSON.
    enum Value: Decodable {
        case text(String)
        case number(Double)
        case flag(Bool)
        case null
        case list([Value])
        case object([String: Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let flag = try? container.decode(Bool.self) {
                self = .flag(flag)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let list = try? container.decode([Value].self) {
                self = .list(list)
            } else {
                self = .object(try container.decode([String: Value].self))
            }
        }

        var text: String {
            switch self {
            case .text(let text): text
            case .number(let number):
                number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .flag(let flag): flag ? "true" : "false"
            case .null: ""
            case .list, .object: json
            }
        }

        private var json: String {
            switch self {
            case .text(let text):
                let data = try? JSONEncoder().encode(text)
                return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
            case .null: return "null"
            case .number, .flag: return text
            case .list(let values): return "[" + values.map(\.json).joined(separator: ",") + "]"
            case .object(let members):
                return "{"
                    + members.keys.sorted().map { Value.text($0).json + ":" + members[$0]!.json }.joined(separator: ",")
                    + "}"
            }
        }
    }

    /// Feeds the next bytes; returns the rows completed by them (the first also yields the header).
    public mutating func consume(_ bytes: some Collection<UInt8>) throws(TabularError) -> [(
        number: Int, cells: [String]
    )] {
        switch layout {
        case .lines: try consumeLines(bytes)
        case .array: try consumeArray(bytes)
        }
    }

    /// Ends the input; returns the last rows, or throws if the JSON stops half-way.
    public mutating func finish() throws(TabularError) -> [(number: Int, cells: [String])] {
        defer { pending = [] }
        switch layout {
        case .lines:
            return try take(pending[...], line: line)
        case .array:
            guard case .end = state else { throw .malformedJSON(line: state.isInside ? objectLine : line) }
            return []
        }
    }

    private mutating func consumeLines(_ bytes: some Collection<UInt8>) throws(TabularError) -> [(
        number: Int, cells: [String]
    )] {
        let scanFrom = pending.count
        pending.append(contentsOf: bytes)
        var rows: [(number: Int, cells: [String])] = []
        var lineStart = 0
        var index = scanFrom
        while let newline = pending[index...].firstIndex(of: UInt8(ascii: "\n")) {
            rows += try take(pending[lineStart..<newline], line: line)
            line += 1
            lineStart = newline + 1
            index = lineStart
        }
        // Dropping the consumed lines once per chunk, not once per line, keeps this linear.
        pending.removeSubrange(0..<lineStart)
        return rows
    }

    private mutating func consumeArray(_ bytes: some Collection<UInt8>) throws(TabularError) -> [(
        number: Int, cells: [String]
    )] {
        var rows: [(number: Int, cells: [String])] = []
        for byte in bytes {
            let isSpace = byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
            switch state {
            case .start:
                if byte == UInt8(ascii: "[") {
                    state = .beforeElement(first: true)
                } else if !isSpace && byte != 0xEF && byte != 0xBB && byte != 0xBF {
                    throw .malformedJSON(line: line)
                }
            case .beforeElement(let first):
                if byte == UInt8(ascii: "{") {
                    state = .inElement
                    depth = 1
                    objectLine = line
                    pending = [byte]
                } else if byte == UInt8(ascii: "]") && first {
                    state = .end
                } else if !isSpace {
                    throw .malformedJSON(line: line)
                }
            case .inElement:
                pending.append(byte)
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        rows += try take(pending[...], line: objectLine)
                        pending.removeAll(keepingCapacity: true)
                        state = .afterElement
                    }
                }
            case .afterElement:
                if byte == UInt8(ascii: ",") {
                    state = .beforeElement(first: false)
                } else if byte == UInt8(ascii: "]") {
                    state = .end
                } else if !isSpace {
                    throw .malformedJSON(line: line)
                }
            case .end:
                if !isSpace { throw .malformedJSON(line: line) }
            }
            if byte == 0x0A { line += 1 }
        }
        return rows
    }

    private mutating func take(_ bytes: ArraySlice<UInt8>, line: Int) throws(TabularError) -> [(
        number: Int, cells: [String]
    )] {
        let trimmed = bytes.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return [] }
        guard let object = try? JSONDecoder().decode([String: Value].self, from: Data(trimmed)) else {
            throw .malformedJSON(line: line)
        }
        return rows(for: object, line: line)
    }

    private mutating func rows(for object: [String: Value], line: Int) -> [(number: Int, cells: [String])] {
        var rows: [(number: Int, cells: [String])] = []
        if header == nil {
            let keys = object.keys.sorted()
            header = keys
            rows.append((0, keys))
        }
        rows.append((line, (header ?? []).map { object[$0]?.text ?? "" }))
        return rows
    }
}

extension JSONRowReader.ArrayState {
    /// Inside an object, where an unfinished file is best reported at the object's first line.
    fileprivate var isInside: Bool {
        if case .inElement = self { return true }
        return false
    }
}
