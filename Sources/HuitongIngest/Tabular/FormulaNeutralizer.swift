/// Defuses spreadsheet formula injection in exported cells (OWASP "CSV Injection").
///
/// A cell that starts with `=`, `+`, `-` or `@` is run as a formula when the file is opened in Excel, WPS or
/// LibreOffice, and a leading tab or carriage return can hide such a character; a provider's data must never be
/// able to run `=HYPERLINK(…)` or `=cmd|…` on a consumer's machine. Prefixing `'` makes the spreadsheet show the
/// text as typed. Plain numbers such as `-12.5` or `+86` are left alone: they are data, not formulas.
public enum FormulaNeutralizer {
    /// `text`, prefixed with `'` if a spreadsheet could read it as a formula.
    public static func neutralize(_ text: String) -> String {
        needsNeutralizing(text) ? "'" + text : text
    }

    /// Whether `neutralize(_:)` would change `text`.
    public static func needsNeutralizing(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "@"), ASCII.tab, ASCII.carriageReturn:
            return true
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            return !isPlainNumber(text.utf8)
        default:
            return false
        }
    }

    /// A decimal number with an optional sign, fraction and exponent, e.g. `-12.5`, `+3`, `-1.2E-3`.
    static func isPlainNumber(_ bytes: String.UTF8View) -> Bool {
        var index = bytes.startIndex
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        func skipDigits() -> Int {
            var count = 0
            while index != bytes.endIndex, isDigit(bytes[index]) {
                bytes.formIndex(after: &index)
                count += 1
            }
            return count
        }
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            bytes.formIndex(after: &index)
        }
        var mantissaDigits = skipDigits()
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            bytes.formIndex(after: &index)
            mantissaDigits += skipDigits()
        }
        guard mantissaDigits > 0 else { return false }
        if index != bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            bytes.formIndex(after: &index)
            if index != bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                bytes.formIndex(after: &index)
            }
            guard skipDigits() > 0 else { return false }
        }
        return index == bytes.endIndex
    }
}
