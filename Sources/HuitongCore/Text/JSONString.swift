/// JSON string literals written by hand, for the few places where a whole `JSONEncoder` pass costs more than the
/// text it writes (bulk downloads and extracts, the audit log's JSON columns on the gateway's path).
public enum JSONString {
    /// A pool value in its type: `null`, a number or boolean as itself, anything else as a string.
    public static func append(_ value: String?, as type: ColumnType, to output: inout String) {
        guard let value else {
            output += "null"
            return
        }
        if let literal = type.jsonLiteral(value) {
            output += literal
        } else {
            append(value, to: &output)
        }
    }

    /// RFC 8259 string escaping: quotes, backslashes and control characters; nothing else.
    public static func append(_ text: String, to output: inout String) {
        output += "\""
        // Most values need no escaping at all: copy them whole instead of scalar by scalar.
        let needsEscape = { (byte: UInt8) in byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") }
        let escaped =
            text.utf8.withContiguousStorageIfAvailable { $0.contains(where: needsEscape) }
            ?? text.utf8.contains(where: needsEscape)
        if !escaped {
            output += text
            output += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
