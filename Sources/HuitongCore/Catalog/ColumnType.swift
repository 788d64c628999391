/// How a pool column holds its values in the database: the engine compares, sorts and sums numbers and dates as
/// numbers and dates only when the column has their type. Values travel through Huitong in their canonical text
/// (what `RowValidator` makes of a cell at ingest), and each engine stores that text in the column's type.
public enum ColumnType: String, Sendable, Hashable, Codable, CaseIterable {
    case text
    case integer
    case decimal
    /// `YYYY-MM-DD`.
    case date
    /// `YYYY-MM-DD HH:MM:SS`, local time as delivered (no zone).
    case dateTime
    /// `true` or `false`.
    case boolean

    /// The column type an item's values are stored in. Keys, coded values and identifiers stay text whatever their
    /// data type says: a code set's `01` or a mobile number are names, not quantities, and must keep every digit.
    public init(for item: InfoItem) {
        guard !item.isKey, item.codeSet == nil, item.semanticKind == .other else {
            self = .text
            return
        }
        switch item.dataType {
        case .integer: self = .integer
        case .numeric, .currency, .double, .float: self = .decimal
        case .date: self = .date
        case .dateTime: self = .dateTime
        case .logical: self = .boolean
        case .character, .memo, .general: self = .text
        }
    }

    /// The JSON literal for a value of this type — the number itself, `true` or `false` — or nil when the value
    /// goes out as a JSON string: text, dates, and any value that is not canonical for the type (a masked number,
    /// `3***`, stays a string).
    public func jsonLiteral(_ text: String) -> String? {
        switch self {
        case .integer: Int64(text).map(String.init) == text ? text : nil
        case .decimal: CanonicalNumber.decimal(text) == text ? text : nil
        case .boolean: text == "true" || text == "false" ? text : nil
        case .text, .date, .dateTime: nil
        }
    }

    /// The column types of an entry's items, by column name, leaving out text (the type of any column not named).
    public static func of(_ items: [InfoItem]) -> [String: ColumnType] {
        var types: [String: ColumnType] = [:]
        for item in items {
            let type = ColumnType(for: item)
            if type != .text { types[item.columnName] = type }
        }
        return types
    }
}

/// Numbers in one canonical text, so that both engines store and give back the same digits and a value read back
/// compares equal to the same value delivered again (a `sync` writes only rows that changed).
public enum CanonicalNumber {
    /// `-0012.5000` → `-12.5`, `1,234.00` → `1234`, `1e3` → `1000`; nil for anything that is not a finite number.
    public static func decimal(_ text: String) -> String? {
        var digits = Substring(text)
        if digits.contains(",") { digits = Substring(digits.filter { $0 != "," }) }
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        if digits.contains(where: { $0 == "e" || $0 == "E" }) {
            return scientific(String(digits), negative: negative)
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), whole.allSatisfy(isDigit),
            fraction.allSatisfy(isDigit)
        else { return nil }
        let trimmedWhole = whole.drop { $0 == "0" }
        var trimmedFraction = fraction
        while trimmedFraction.last == "0" { trimmedFraction = trimmedFraction.dropLast() }
        var result = trimmedWhole.isEmpty ? "0" : String(trimmedWhole)
        if !trimmedFraction.isEmpty { result += "." + trimmedFraction }
        return negative && result != "0" ? "-" + result : result
    }

    private static func isDigit(_ character: Character) -> Bool { character >= "0" && character <= "9" }

    /// `1.5e3` written out in full, within the range a pool column can hold exactly (±10¹⁰⁰).
    private static func scientific(_ text: String, negative: Bool) -> String? {
        let parts = text.split(whereSeparator: { $0 == "e" || $0 == "E" }).map(String.init)
        guard parts.count == 2, let exponent = Int(parts[1]), abs(exponent) <= 100,
            let mantissa = decimal(parts[0]), !mantissa.hasPrefix("-")
        else { return nil }
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        var digitString = String(pieces[0]) + (pieces.count > 1 ? String(pieces[1]) : "")
        var point = pieces[0].count + exponent
        if point <= 0 {
            digitString = String(repeating: "0", count: 1 - point) + digitString
            point = 1
        }
        if point > digitString.count {
            digitString += String(repeating: "0", count: point - digitString.count)
        }
        let whole = digitString.prefix(point)
        let fraction = digitString.dropFirst(point)
        return decimal((negative ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction))
    }
}
