/// Pieces of SpreadsheetML (the XML inside an XLSX file) shared by the writer and the reader.
enum SpreadsheetML {
    static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationshipsNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    static let packageRelationshipsNamespace = "http://schemas.openxmlformats.org/package/2006/relationships"
    static let xmlDeclaration = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"

    /// Excel's hard limits; a workbook beyond them does not open.
    static let maxRows = 1_048_576
    static let maxColumns = 16_384
    static let maxCellCharacters = 32_767

    /// `0` → `A`, `25` → `Z`, `26` → `AA`.
    static func columnName(_ index: Int) -> String {
        var number = index + 1
        var letters: [UInt8] = []
        while number > 0 {
            let remainder = (number - 1) % 26
            letters.append(UInt8(ascii: "A") + UInt8(remainder))
            number = (number - 1) / 26
        }
        return String(decoding: letters.reversed(), as: UTF8.self)
    }

    /// The 0-based column of a cell reference such as `C5` or `$AB$12`, or `nil` if there are no column letters.
    static func columnIndex(ofReference reference: UnsafeBufferPointer<UInt8>) -> Int? {
        var column = 0
        var letters = 0
        for byte in reference {
            switch byte {
            case UInt8(ascii: "$") where letters == 0:
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                column = column * 26 + Int(byte - UInt8(ascii: "A")) + 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                column = column * 26 + Int(byte - UInt8(ascii: "a")) + 1
            default:
                return letters > 0 ? column - 1 : nil
            }
            letters += 1
            // Beyond three letters the reference is past XFD; stop before the arithmetic can overflow.
            if letters > 3 { return Int.max }
        }
        return letters > 0 ? column - 1 : nil
    }

    /// Where the text of a value is written, which decides what must be escaped.
    enum EscapingContext {
        /// Text content of an element.
        case text
        /// Text content of a cell or shared string, where a literal `_xHHHH_` must itself be escaped because
        /// Excel reads that pattern as an escaped character.
        case cellText
        /// A double-quoted attribute value, where whitespace characters are escaped so that attribute-value
        /// normalisation does not turn them into spaces.
        case attribute
    }

    /// Appends `text` as XML, escaping markup characters and dropping characters XML 1.0 cannot carry (control
    /// characters other than tab, LF and CR; U+FFFE; U+FFFF). CR is written as `&#13;` because parsers turn a
    /// literal CR LF into LF.
    static func appendEscaped(_ text: String, to buffer: inout [UInt8], context: EscapingContext) {
        var text = text
        text.withUTF8 { bytes in
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "&"):
                    buffer.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"):
                    buffer.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"):
                    buffer.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "\"") where context == .attribute:
                    buffer.append(contentsOf: "&quot;".utf8)
                case ASCII.carriageReturn:
                    buffer.append(contentsOf: "&#13;".utf8)
                case ASCII.lineFeed where context == .attribute:
                    buffer.append(contentsOf: "&#10;".utf8)
                case ASCII.tab where context == .attribute:
                    buffer.append(contentsOf: "&#9;".utf8)
                case ASCII.tab, ASCII.lineFeed:
                    buffer.append(byte)
                case 0x00..<0x20, 0x7F:
                    break
                case 0xEF where index + 2 < count && bytes[index + 1] == 0xBF && bytes[index + 2] >= 0xBE:
                    index += 2
                case UInt8(ascii: "_") where context == .cellText && isEscapedCharacterPattern(bytes, at: index):
                    buffer.append(contentsOf: "_x005F_".utf8)
                default:
                    buffer.append(byte)
                }
                index += 1
            }
        }
    }

    /// Whether `_xHHHH_` (four hex digits) starts at `index`.
    static func isEscapedCharacterPattern(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        guard index + 7 <= bytes.count, bytes[index] == UInt8(ascii: "_"), bytes[index + 1] == UInt8(ascii: "x"),
            bytes[index + 6] == UInt8(ascii: "_")
        else { return false }
        return (index + 2..<index + 6).allSatisfy { hexValue(bytes[$0]) != nil }
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Undoes Excel's `_xHHHH_` escapes in cell text (Excel writes e.g. a line break typed in a cell as `_x000D_`).
    static func unescapeCellText(_ bytes: [UInt8]) -> String {
        guard bytes.contains(UInt8(ascii: "_")) else { return String(decoding: bytes, as: UTF8.self) }
        return bytes.withUnsafeBufferPointer { buffer in
            var output: [UInt8] = []
            output.reserveCapacity(buffer.count)
            var index = 0
            while index < buffer.count {
                if isEscapedCharacterPattern(buffer, at: index) {
                    let value = (index + 2..<index + 6).reduce(UInt32(0)) { $0 * 16 + hexValue(buffer[$1])! }
                    if let scalar = Unicode.Scalar(value) {
                        output.append(contentsOf: String(scalar).utf8)
                        index += 7
                        continue
                    }
                }
                output.append(buffer[index])
                index += 1
            }
            return String(decoding: output, as: UTF8.self)
        }
    }
}
