import Foundation

/// A quality rule as a provider writes it and the API shows it: the kind by name, with only the parameters that
/// kind takes, rather than `QualityRule.Kind`'s nested enum.
public struct QualityRuleSpec: Sendable, Hashable, Codable {
    public enum KindName: String, LabeledValue {
        case notNull
        case typeAndLength
        case pattern
        case codeSet
        case identifierCheck
        case crossField
        case range
        case uniqueness
        case referential
        case freshness

        public var label: BilingualText {
            switch self {
            case .notNull: BilingualText(zh: "非空", en: "not null")
            case .typeAndLength: BilingualText(zh: "类型与长度", en: "type and length")
            case .pattern: BilingualText(zh: "格式", en: "pattern")
            case .codeSet: BilingualText(zh: "代码集", en: "code set")
            case .identifierCheck: BilingualText(zh: "标识校验", en: "identifier check")
            case .crossField: BilingualText(zh: "跨字段一致", en: "cross-field")
            case .range: BilingualText(zh: "取值范围", en: "range")
            case .uniqueness: BilingualText(zh: "唯一", en: "uniqueness")
            case .referential: BilingualText(zh: "关联", en: "referential")
            case .freshness: BilingualText(zh: "时效", en: "freshness")
            }
        }

        /// Where a rule of this kind counts unless its author says otherwise (domain.md §6.1).
        public var defaultDimension: QualityDimension {
            switch self {
            case .notNull: .completeness
            case .typeAndLength, .pattern, .codeSet: .normativity
            case .identifierCheck, .range: .accuracy
            case .crossField: .consistency
            case .uniqueness: .uniqueness
            case .referential: .referential
            case .freshness: .timeliness
            }
        }
    }

    public var id: String?
    public var kind: KindName
    public var columns: [String]
    public var dimension: QualityDimension?
    public var severity: QualitySeverity?
    public var weight: Double?
    /// `pattern`: a regular expression the whole value must match.
    public var pattern: String?
    /// `codeSet`: the code set's id.
    public var codeSet: String?
    /// `identifierCheck`: which kind of identifier the values must be.
    public var identifier: SemanticKind?
    /// `range`: numeric bounds, or date bounds; either end may be left open.
    public var minimum: Double?
    public var maximum: Double?
    public var earliest: CalendarDate?
    public var latest: CalendarDate?
    /// `referential`: the entry whose pool's key must hold every value of the column.
    public var referencedEntryID: Int64?
    /// `freshness`: the cycle to judge against.
    public var updateCycle: UpdateCycle?

    public init(
        id: String? = nil, kind: KindName, columns: [String], dimension: QualityDimension? = nil,
        severity: QualitySeverity? = nil, weight: Double? = nil, pattern: String? = nil, codeSet: String? = nil,
        identifier: SemanticKind? = nil, minimum: Double? = nil, maximum: Double? = nil, earliest: CalendarDate? = nil,
        latest: CalendarDate? = nil, referencedEntryID: Int64? = nil, updateCycle: UpdateCycle? = nil
    ) {
        self.id = id
        self.kind = kind
        self.columns = columns
        self.dimension = dimension
        self.severity = severity
        self.weight = weight
        self.pattern = pattern
        self.codeSet = codeSet
        self.identifier = identifier
        self.minimum = minimum
        self.maximum = maximum
        self.earliest = earliest
        self.latest = latest
        self.referencedEntryID = referencedEntryID
        self.updateCycle = updateCycle
    }

    /// The spec of an existing rule, for showing it.
    public init(_ rule: QualityRule) {
        self.init(
            id: rule.id, kind: .notNull, columns: rule.columns, dimension: rule.dimension, severity: rule.severity,
            weight: rule.weight)
        switch rule.kind {
        case .notNull: kind = .notNull
        case .typeAndLength: kind = .typeAndLength
        case .pattern(let pattern):
            kind = .pattern
            self.pattern = pattern
        case .codeSet(let id):
            kind = .codeSet
            codeSet = id
        case .identifierCheck(let semantic):
            kind = .identifierCheck
            identifier = semantic
        case .crossField: kind = .crossField
        case .range(.numeric(let minimum, let maximum)):
            kind = .range
            self.minimum = minimum
            self.maximum = maximum
        case .range(.date(let earliest, let latest)):
            kind = .range
            self.earliest = earliest
            self.latest = latest
        case .uniqueness: kind = .uniqueness
        case .referential(let name):
            kind = .referential
            referencedEntryID = QualityRule.referencedEntryID(name)
        case .freshness(let cycle):
            kind = .freshness
            updateCycle = cycle
        }
    }

    /// The rule this spec describes, with what it leaves out filled in; every missing or contradictory parameter
    /// is reported at once, by field. Columns are checked against the entry later (`QualityEvaluator.init`).
    public func rule() throws(ValidationError) -> QualityRule {
        var issues = ValidationCollector()
        func required<Value>(_ value: Value?, _ field: String) -> Value? {
            if value == nil {
                issues.add(
                    field,
                    BilingualText(zh: "\(kind.label.zh)规则须填写 \(field)", en: "a \(kind.label.en) rule needs \(field)"))
            }
            return value
        }
        let resolved: QualityRule.Kind?
        switch kind {
        case .notNull: resolved = .notNull
        case .typeAndLength: resolved = .typeAndLength
        case .pattern:
            resolved = required(pattern, "pattern").map { .pattern($0) }
            if let pattern, pattern.isEmpty || pattern.count > 500 {
                issues.add(
                    "pattern", BilingualText(zh: "正则表达式须为 1–500 个字符", en: "the pattern must be 1–500 characters"))
            }
        case .codeSet: resolved = required(codeSet, "codeSet").map { .codeSet($0) }
        case .identifierCheck: resolved = required(identifier, "identifier").map { .identifierCheck($0) }
        case .crossField: resolved = .crossField
        case .range:
            if minimum != nil || maximum != nil {
                if earliest != nil || latest != nil {
                    issues.add(
                        "minimum",
                        BilingualText(
                            zh: "数值范围与日期范围只能二选一", en: "give numeric bounds or date bounds, not both"))
                }
                if let minimum, let maximum, minimum > maximum {
                    issues.add(
                        "minimum",
                        BilingualText(
                            zh: "下限 \(minimum) 大于上限 \(maximum)",
                            en: "the minimum \(minimum) exceeds the maximum \(maximum)"))
                }
                if [minimum, maximum].contains(where: { $0.map { !$0.isFinite } ?? false }) {
                    issues.add("maximum", BilingualText(zh: "上下限须为有限数值", en: "bounds must be finite numbers"))
                }
                resolved = .range(.numeric(minimum: minimum, maximum: maximum))
            } else if earliest != nil || latest != nil {
                if let earliest, let latest, earliest > latest {
                    issues.add(
                        "earliest",
                        BilingualText(
                            zh: "起始日期 \(earliest) 晚于截止日期 \(latest)",
                            en: "the earliest date \(earliest) is after the latest \(latest)"))
                }
                resolved = .range(.date(earliest: earliest, latest: latest))
            } else {
                issues.add(
                    "minimum",
                    BilingualText(
                        zh: "取值范围规则须至少给出一个上限或下限", en: "a range rule needs at least one bound"))
                resolved = nil
            }
        case .uniqueness: resolved = .uniqueness
        case .referential:
            resolved = required(referencedEntryID, "referencedEntryID").map {
                .referential(QualityRule.reference(to: $0))
            }
        case .freshness: resolved = required(updateCycle, "updateCycle").map { .freshness($0) }
        }
        if let weight, !(weight > 0 && weight.isFinite && weight <= 100) {
            issues.add(
                "weight", BilingualText(zh: "权重须在 0–100 之间且大于 0", en: "the weight must be above 0 and at most 100"))
        }
        if let id, id.isEmpty || id.count > 100 || id.contains(where: { $0.isNewline }) {
            issues.add(
                "id", BilingualText(zh: "规则编号须为 1–100 个字符的一行", en: "the rule id must be one line of 1–100 characters"))
        }
        try issues.throwIfAny()
        guard let resolved else {
            throw ValidationError(field: "kind", BilingualText(zh: "规则不完整", en: "incomplete rule"))
        }
        return QualityRule(
            id: id ?? "\(columns.joined(separator: "+")).\(kind.rawValue)",
            dimension: dimension ?? kind.defaultDimension,
            columns: columns, kind: resolved, severity: severity ?? .error, weight: weight ?? 1)
    }
}

extension QualityRule {
    /// The key-set name a `referential` rule uses for the pool of another catalog entry.
    public static func reference(to entryID: Int64) -> String { "entry:\(entryID)" }

    /// The entry a key-set name made by `reference(to:)` points at.
    public static func referencedEntryID(_ name: String) -> Int64? {
        guard name.hasPrefix("entry:") else { return nil }
        return Int64(name.dropFirst("entry:".count))
    }

    /// The freshness rule every entry gets from its declared 更新周期.
    public static func freshness(_ cycle: UpdateCycle) -> QualityRule {
        QualityRule(id: "updateCycle.freshness", dimension: .timeliness, columns: [], kind: .freshness(cycle))
    }
}
