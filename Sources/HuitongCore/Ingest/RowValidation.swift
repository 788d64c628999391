import Foundation

/// Why a file cannot be loaded at all (as opposed to single rows being rejected).
public enum IngestError: HuitongError, Equatable {
    case missingColumns([String])
    case emptyHeader

    public var code: String {
        switch self {
        case .missingColumns: "missing_columns"
        case .emptyHeader: "empty_header"
        }
    }

    public var kind: ErrorKind { .badInput }

    public var message: BilingualText {
        switch self {
        case .missingColumns(let names):
            BilingualText(
                zh: "文件缺少必填信息项的列：\(names.joined(separator: "、"))",
                en: "the file lacks columns for required items: \(names.joined(separator: ", "))")
        case .emptyHeader:
            BilingualText(zh: "文件第一行应为表头（字段名或信息项名称）", en: "the first row must be a header of column or item names")
        }
    }
}

/// Which column of a delivered file feeds which data item: headers match an item's column name (`sfzhm`,
/// ignoring case) or its Chinese name (身份证号码).
public struct ColumnMapping: Sendable, Hashable {
    public let items: [InfoItem]
    /// For each item, the position of its column in the file, or nil when the file does not have it.
    public let positions: [Int?]
    /// Header cells that match no item; reported to the provider, their data ignored.
    public let unknownColumns: [String]

    public init(header: [String], items: [InfoItem]) throws(IngestError) {
        let cleaned = header.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard cleaned.contains(where: { !$0.isEmpty }) else { throw .emptyHeader }
        var positions: [Int?] = []
        var used = Set<Int>()
        for item in items {
            let position =
                cleaned.firstIndex { $0.lowercased() == item.columnName }
                ?? cleaned.firstIndex { $0 == item.name }
            if let position { used.insert(position) }
            positions.append(position)
        }
        let missing = zip(items, positions).filter { $0.0.isRequired && $0.1 == nil }.map {
            "\($0.0.name)（\($0.0.columnName)）"
        }
        guard missing.isEmpty else { throw .missingColumns(missing) }
        self.items = items
        self.positions = positions
        self.unknownColumns = cleaned.enumerated().filter { !used.contains($0.offset) && !$0.element.isEmpty }
            .map(\.element)
    }

    /// A mapping found elsewhere (a key reconciliation reads only the key columns): `positions[i]` is where item
    /// `i`'s column is, nil when absent.
    public init(positions: [Int?], items: [InfoItem]) {
        self.items = items
        self.positions = positions
        unknownColumns = []
    }
}

/// What kind of problem a rejected value has, so that a report can group a load's problems ("613 duplicate keys")
/// instead of listing them one by one. Stored with each issue; its label comes from the locale files
/// (`issue_kind_<rawValue>`).
public enum RowIssueKind: String, Sendable, Hashable, Codable, CaseIterable {
    case required
    case notNumber = "not_number"
    case notInteger = "not_integer"
    case invalidDate = "invalid_date"
    case invalidDateTime = "invalid_datetime"
    case notLogical = "not_logical"
    case containsNUL = "contains_nul"
    case tooLong = "too_long"
    /// A value of its semantic kind that is not valid (an ID number with a wrong check digit, a bad mobile number).
    case invalidFormat = "invalid_format"
    case notInCodeSet = "not_in_code_set"
    case duplicateKey = "duplicate_key"
    case emptyKey = "empty_key"
    /// Stored before kinds were recorded.
    case other
}

/// One rejected value of one row, as the provider's error report shows it.
public struct RowIssue: Sendable, Hashable, Codable {
    /// The row number in the file (the header is row 1).
    public var row: Int
    /// The item's column name.
    public var column: String
    /// The value as delivered, masked when the item holds personal data.
    public var value: String
    public var reason: String
    public var kind: RowIssueKind
    /// The column's heading in the delivered file (出生日期 where the item's column name is `csrq`); empty when
    /// unknown.
    public var heading: String

    public init(
        row: Int, column: String, value: String, reason: BilingualText, kind: RowIssueKind = .other,
        heading: String = ""
    ) {
        self.row = row
        self.column = column
        self.value = value
        self.reason = reason.combined
        self.kind = kind
        self.heading = heading
    }
}

/// The problems of one kind in one column of a load, counted: what a provider reads first.
public struct RowIssueGroup: Sendable, Hashable, Codable {
    /// The item's column name (or the key's, `sfzhm+xm`).
    public var column: String
    /// The column's heading in the delivered file, when known.
    public var heading: String
    public var kind: RowIssueKind
    public var count: Int
    /// The first few issues of the group, in file order.
    public var examples: [RowIssue]

    public init(column: String, heading: String, kind: RowIssueKind, count: Int, examples: [RowIssue]) {
        self.column = column
        self.heading = heading
        self.kind = kind
        self.count = count
        self.examples = examples
    }
}

/// Checks the cells of one row against the entry's data items and returns the values in canonical form
/// (dates as `YYYY-MM-DD`, date-times as `YYYY-MM-DD HH:MM:SS`, logical values as `true`/`false`, coded values as
/// their code).
public struct RowValidator: Sendable {
    public let mapping: ColumnMapping
    public let today: CalendarDate
    /// For each item, what its code set accepts; nil for items without one. Worked out once per load, so that a
    /// coded value costs one dictionary lookup.
    let codeLookups: [CodeLookup?]
    /// What checking needs of each item, without its names and notes: copying an `InfoItem` (a dozen strings)
    /// for every cell of a million-row file was a tenth of a load's time in retains.
    let rules: [ValueRule]

    /// `codeSets` are the sets the items name (others are ignored). An item whose set is not among them rejects
    /// every value it is given, rather than taking values nobody checked; callers look the sets up first and
    /// refuse the load instead (see `IngestRunner`).
    public init(mapping: ColumnMapping, codeSets: [CodeSet] = [], today: CalendarDate = .today()) {
        self.mapping = mapping
        self.today = today
        let sets = Dictionary(codeSets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        codeLookups = mapping.items.map { item in item.codeSet.map { CodeLookup(id: $0, set: sets[$0]) } }
        rules = mapping.items.map(ValueRule.init)
    }

    /// The row's values, one per item (nil when empty), or every problem found in it.
    public func validate(_ cells: [String], row: Int) -> Result<[String?], RowProblems> {
        var values: [String?] = []
        values.reserveCapacity(mapping.items.count)
        var issues: [RowIssue] = []
        // By index: binding each InfoItem (a dozen strings) to a loop variable costs retains on every cell.
        for index in rules.indices {
            let rule = rules[index]
            let raw = mapping.positions[index].flatMap { $0 < cells.count ? cells[$0] : nil } ?? ""
            let text = raw.trimmedOfWhitespace()
            if text.isEmpty {
                if rule.isRequired {
                    let item = mapping.items[index]
                    issues.append(
                        RowIssue(
                            row: row, column: item.columnName, value: "",
                            reason: BilingualText(zh: "\(item.name)为必填项", en: "\(item.columnName) is required"),
                            kind: .required))
                }
                values.append(nil)
                continue
            }
            if let codes = codeLookups[index] {
                if let code = codes.code(for: text, dataType: rule.dataType) {
                    values.append(code)
                } else {
                    let item = mapping.items[index]
                    issues.append(
                        RowIssue(
                            row: row, column: item.columnName, value: Self.reported(text, item),
                            reason: codes.rejection, kind: .notInCodeSet))
                    values.append(nil)
                }
                continue
            }
            switch Self.check(text, against: rule, today: today) {
            case .success(let value):
                values.append(value)
            case .failure(let rejection):
                let item = mapping.items[index]
                issues.append(
                    RowIssue(
                        row: row, column: item.columnName, value: Self.reported(text, item),
                        reason: rejection.reason, kind: rejection.kind))
                values.append(nil)
            }
        }
        return issues.isEmpty ? .success(values) : .failure(RowProblems(issues: issues))
    }

    /// A value as an error report may show it: masked by the item's default rule, cut to 64 characters.
    public static func reported(_ value: String, _ item: InfoItem) -> String {
        let masked = MaskingRule.default(for: item.semanticKind).apply(to: value)
        return masked.count > 64 ? String(masked.prefix(64)) + "…" : masked
    }

    static func check(_ text: String, against item: InfoItem, today: CalendarDate) -> Result<String, ValueRejection> {
        check(text, against: ValueRule(item), today: today)
    }

    static func check(_ text: String, against item: ValueRule, today: CalendarDate) -> Result<String, ValueRejection> {
        let value: String
        switch item.dataType {
        case .character, .memo, .general:
            value = text
        case .numeric, .currency, .double, .float:
            guard let number = CanonicalNumber.decimal(text) else {
                return .failure(ValueRejection(zh: "应为数值", en: "must be a number", kind: .notNumber))
            }
            value = number
        case .integer:
            guard let number = Int64(text.replacingOccurrences(of: ",", with: "")) else {
                return .failure(ValueRejection(zh: "应为整数", en: "must be a whole number", kind: .notInteger))
            }
            value = String(number)
        case .date:
            if CalendarDate(iso: text) != nil {
                // Already canonical: kept as delivered, without building a new string.
                value = text
                break
            }
            guard let date = parseDate(text) else {
                return .failure(
                    ValueRejection(
                        zh: "应为有效日期，如 2024-01-31", en: "must be a valid date such as 2024-01-31", kind: .invalidDate))
            }
            value = date.description
        case .dateTime:
            guard let dateTime = parseDateTime(text) else {
                return .failure(
                    ValueRejection(
                        zh: "应为有效日期时间，如 2024-01-31 08:30:00",
                        en: "must be a valid date-time such as 2024-01-31 08:30:00", kind: .invalidDateTime))
            }
            value = dateTime
        case .logical:
            switch text.lowercased() {
            case "是", "true", "1", "y", "yes", "t": value = "true"
            case "否", "false", "0", "n", "no", "f": value = "false"
            default: return .failure(ValueRejection(zh: "应为“是”或“否”", en: "must be true or false", kind: .notLogical))
            }
        }
        if value.containsNUL {
            return .failure(ValueRejection(zh: "含有空字符（NUL）", en: "contains a NUL character", kind: .containsNUL))
        }
        // Counting characters is slow for Chinese text; a value with no more bytes than the limit cannot have more
        // characters either.
        if let length = item.length, item.dataType.isText, value.utf8.count > length, value.count > length {
            return .failure(
                ValueRejection(
                    zh: "长度 \(value.count) 超过 \(length)", en: "is \(value.count) characters, longer than \(length)",
                    kind: .tooLong))
        }
        do {
            switch item.semanticKind {
            case .residentID: return .success(try ResidentIDNumber(value, today: today).text)
            case .creditCode: return .success(try UnifiedSocialCreditCode(value).text)
            case .regionCode: return .success(try RegionCode(value).text)
            case .mobilePhone:
                let digits = value.utf8
                guard digits.count == 11, digits.first == UInt8(ascii: "1"),
                    (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(digits.dropFirst().first ?? 0),
                    digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
                else {
                    return .failure(ValueRejection(zh: "不是有效的手机号码", en: "is not a valid mobile number"))
                }
                return .success(value)
            case .email:
                let parts = value.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasSuffix(".") else {
                    return .failure(ValueRejection(zh: "不是有效的电子邮箱", en: "is not a valid e-mail address"))
                }
                return .success(value)
            case .personName, .landline, .address, .bankCard, .licensePlate, .other:
                return .success(value)
            }
        } catch {
            return .failure(ValueRejection(zh: error.message.zh, en: error.message.en, kind: .invalidFormat))
        }
    }

    /// `2024-01-31`, `2024/1/31`, `2024.01.31` or `20240131`.
    static func parseDate(_ text: String) -> CalendarDate? {
        if let date = CalendarDate(iso: text) ?? CalendarDate(compact: text) { return date }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." }).compactMap { Int($0) }
        guard parts.count == 3, text.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." }).count == 3 else {
            return nil
        }
        return CalendarDate(year: parts[0], month: parts[1], day: parts[2])
    }

    /// A date, a space or `T`, and `HH:MM` or `HH:MM:SS`.
    static func parseDateTime(_ text: String) -> String? {
        let pieces = text.split(whereSeparator: { $0 == " " || $0 == "T" }).map(String.init)
        guard pieces.count == 2, let date = parseDate(pieces[0]) else { return nil }
        let clock = pieces[1].split(separator: ":").map { Int($0) }
        guard (2...3).contains(clock.count), clock.allSatisfy({ $0 != nil }) else { return nil }
        let (hour, minute, second) = (clock[0]!, clock[1]!, clock.count == 3 ? clock[2]! : 0)
        guard (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second) else { return nil }
        return "\(date) " + String(format: "%02d:%02d:%02d", hour, minute, second)
    }
}

/// What one item's code set accepts, and how a value outside it is explained.
/// The parts of an item that decide whether a value is valid.
struct ValueRule: Sendable {
    let dataType: DataType
    let semanticKind: SemanticKind
    let length: Int?
    let isRequired: Bool

    init(_ item: InfoItem) {
        dataType = item.dataType
        semanticKind = item.semanticKind
        length = item.length
        isRequired = item.isRequired
    }
}

struct CodeLookup: Sendable {
    /// Codes, and the labels and aliases that name exactly one code, each to its code.
    let accepted: [String: String]
    /// The codes of a small set (性别 has four): comparing them one by one is cheaper than hashing the value.
    let smallCodes: [String]
    let rejection: BilingualText

    init(id: String, set: CodeSet?) {
        guard let set else {
            accepted = [:]
            smallCodes = []
            rejection = BilingualText(
                zh: "代码集 \(id) 不存在，无法校验", en: "code set \(id) does not exist, so the value cannot be checked")
            return
        }
        accepted = set.accepted
        smallCodes = set.codes.count <= 8 ? set.codes.map(\.code) : []
        let allowed = set.allowedValues
        rejection = BilingualText(
            zh: "不在代码集 \(set.id)（\(set.name.zh)）中，可用代码：\(allowed.zh)",
            en: "is not in code set \(set.id) (\(set.name.en)); allowed: \(allowed.en)")
    }

    /// The code `text` stands for: itself when it is a code, the code of a label or alias, or for an integer item
    /// the code written with leading zeros or a sign (`01` for `1`).
    func code(for text: String, dataType: DataType) -> String? {
        for code in smallCodes where code == text { return code }
        if let code = accepted[text] { return code }
        if dataType == .integer, let number = Int64(text) { return accepted[String(number)] }
        return nil
    }
}

/// Why one value was rejected.
public struct ValueRejection: Error, Sendable, Hashable {
    public var reason: BilingualText
    public var kind: RowIssueKind

    public init(zh: String, en: String, kind: RowIssueKind = .invalidFormat) {
        self.reason = BilingualText(zh: zh, en: en)
        self.kind = kind
    }
}

/// Every problem of one rejected row.
public struct RowProblems: Error, Sendable, Hashable {
    public var issues: [RowIssue]
}

extension DataType {
    /// Types whose declared length counts characters.
    var isText: Bool {
        switch self {
        case .character, .memo, .general: true
        default: false
        }
    }
}

extension String {
    /// The value without surrounding whitespace (full-width spaces included). Most cells have none, which the
    /// first and last scalars tell without copying anything.
    public func trimmedOfWhitespace() -> String {
        guard let firstByte = utf8.first, let lastByte = utf8.last else { return self }
        func isASCIISpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        if firstByte < 0x80 && lastByte < 0x80 {
            guard isASCIISpace(firstByte) || isASCIISpace(lastByte) else { return self }
            return trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            // No whitespace lies above U+3000 (ideographic space), where Chinese text lives: skip the table lookup.
            if scalar.value > 0x3000 { return false }
            return scalar.value < 0x80
                ? isASCIISpace(UInt8(scalar.value)) : scalar.properties.isWhitespace
        }
        guard isSpace(first) || isSpace(last) else { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension String {
    /// Whether the text holds a NUL byte, which neither database stores faithfully. Checked on the raw bytes: the
    /// generic `utf8.contains` walks the string through its index protocol, byte by byte.
    var containsNUL: Bool {
        if let found = utf8.withContiguousStorageIfAvailable({ bytes in bytes.contains(0) }) { return found }
        return utf8.contains(0)
    }
}
