import Foundation

/// A quality dimension: the six of GB/T 36344-2018 and Zhejiang's practice as used here (domain.md §6), plus 时效性.
public enum QualityDimension: String, LabeledValue {
    case completeness
    case accuracy
    case normativity
    case consistency
    case uniqueness
    case referential
    case timeliness

    public var label: BilingualText {
        switch self {
        case .completeness: BilingualText(zh: "完整性", en: "completeness")
        case .accuracy: BilingualText(zh: "准确性", en: "accuracy")
        case .normativity: BilingualText(zh: "规范性", en: "normativity")
        case .consistency: BilingualText(zh: "一致性", en: "consistency")
        case .uniqueness: BilingualText(zh: "唯一性", en: "uniqueness")
        case .referential: BilingualText(zh: "关联性", en: "referential integrity")
        case .timeliness: BilingualText(zh: "时效性", en: "timeliness")
        }
    }
}

/// How much a failure of a rule matters to the provider's correction queue; the score uses `QualityRule.weight`.
public enum QualitySeverity: String, LabeledValue {
    case notice
    case warning
    case error

    public var label: BilingualText {
        switch self {
        case .notice: BilingualText(zh: "提示", en: "notice")
        case .warning: BilingualText(zh: "警告", en: "warning")
        case .error: BilingualText(zh: "错误", en: "error")
        }
    }
}

/// The bounds of a range rule; either end may be open.
public enum QualityRange: Sendable, Hashable, Codable {
    case numeric(minimum: Double?, maximum: Double?)
    case date(earliest: CalendarDate?, latest: CalendarDate?)
}

/// One check of a resource's data (domain.md §6.2). `columns` are the item column names it reads; rules that read
/// one column read `columns[0]`.
public struct QualityRule: Sendable, Hashable, Codable, Identifiable {
    public enum Kind: Sendable, Hashable, Codable {
        /// The value is present (not empty after trimming).
        case notNull
        /// The value parses as the item's data type and is no longer than its length, as ingest checks it.
        case typeAndLength
        /// The whole value matches the regular expression.
        case pattern(String)
        /// The value is a code, label or alias of the code set with this id.
        case codeSet(String)
        /// The value is a valid value of the kind, check digits included (`ValueRecognizer.checkableKinds`).
        case identifierCheck(SemanticKind)
        /// The birth date inside the 身份证号 in `columns[0]` equals the date in `columns[1]`.
        case crossField
        case range(QualityRange)
        /// No two rows share the values of all of `columns`.
        case uniqueness
        /// The value is among the keys of another resource, which the caller supplies under this name.
        case referential(String)
        /// The resource was updated within the interval its 更新周期 promises; checked once per run.
        case freshness(UpdateCycle)
    }

    public var id: String
    public var dimension: QualityDimension
    public var columns: [String]
    public var kind: Kind
    public var severity: QualitySeverity
    /// The rule's share within its dimension's score; positive.
    public var weight: Double

    public init(
        id: String, dimension: QualityDimension, columns: [String], kind: Kind, severity: QualitySeverity = .error,
        weight: Double = 1
    ) {
        self.id = id
        self.dimension = dimension
        self.columns = columns
        self.kind = kind
        self.severity = severity
        self.weight = weight
    }

    /// The rules an entry's items imply without anyone writing them: required → not null, a length or a non-text
    /// type → type and length, a checkable semantic kind → identifier check, a code set → membership, key items →
    /// one uniqueness rule over all of them, and a 身份证号 next to a 出生日期 date → the cross-field check.
    public static func derived(from items: [InfoItem]) -> [QualityRule] {
        var rules: [QualityRule] = []
        for item in items {
            let column = item.columnName
            if item.isRequired {
                rules.append(
                    QualityRule(id: "\(column).notNull", dimension: .completeness, columns: [column], kind: .notNull))
            }
            if item.length != nil || !item.dataType.isText {
                rules.append(
                    QualityRule(
                        id: "\(column).typeAndLength", dimension: .normativity, columns: [column], kind: .typeAndLength)
                )
            }
            if ValueRecognizer.checkableKinds.contains(item.semanticKind) {
                rules.append(
                    QualityRule(
                        id: "\(column).identifierCheck", dimension: .accuracy, columns: [column],
                        kind: .identifierCheck(item.semanticKind)))
            }
            if let codeSet = item.codeSet {
                rules.append(
                    QualityRule(
                        id: "\(column).codeSet", dimension: .normativity, columns: [column], kind: .codeSet(codeSet)))
            }
        }
        let keys = items.filter(\.isKey).map(\.columnName)
        if !keys.isEmpty {
            rules.append(
                QualityRule(
                    id: "\(keys.joined(separator: "+")).uniqueness", dimension: .uniqueness, columns: keys,
                    kind: .uniqueness))
        }
        if let idItem = items.first(where: { $0.semanticKind == .residentID }),
            let birthItem = items.first(where: isBirthDate)
        {
            rules.append(
                QualityRule(
                    id: "\(idItem.columnName)~\(birthItem.columnName).crossField", dimension: .consistency,
                    columns: [idItem.columnName, birthItem.columnName], kind: .crossField))
        }
        return rules
    }

    /// A date item holding a birth date: named 出生日期 (or similar), or `csrq`, its usual pinyin column name.
    static func isBirthDate(_ item: InfoItem) -> Bool {
        guard item.dataType == .date || item.dataType == .dateTime || item.dataType == .character else { return false }
        return item.name.contains("出生日期") || item.name == "出生年月日" || item.name == "生日"
            || item.columnName.lowercased() == "csrq" || item.columnName.lowercased() == "birth_date"
    }
}
