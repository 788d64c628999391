import Foundation

/// How values of one security grade are masked by default.
public enum GradeMasking: String, Sendable, Hashable, Codable, CaseIterable {
    /// Shown as they are.
    case none
    /// By the masking policy's rule for the item's kind of data (姓名 keeps its first character, …); kinds without a
    /// rule are shown as they are.
    case byKind
    /// Hidden entirely.
    case all

    public var label: BilingualText {
        switch self {
        case .none: BilingualText(zh: "不脱敏", en: "not masked")
        case .byKind: BilingualText(zh: "按数据种类脱敏", en: "masked by kind of data")
        case .all: BilingualText(zh: "全部遮盖", en: "fully hidden")
        }
    }

    fileprivate var strictness: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// Which columns of one security grade a node running `gm` stores SM4-encrypted in its resource pools
/// (GB/T 39786 8.4 e, 重要数据存储机密性).
public enum GradeEncryption: String, Sendable, Hashable, Codable, CaseIterable {
    /// Stored as they are.
    case none
    /// Columns of personal identifiers (`SemanticKind.isPersonalIdentifier`: ID numbers, phones, bank cards,
    /// e-mail addresses, plates).
    case byKind
    /// Every column.
    case all

    public var label: BilingualText {
        switch self {
        case .none: BilingualText(zh: "不加密", en: "not encrypted")
        case .byKind: BilingualText(zh: "个人标识类字段加密", en: "personal-identifier columns encrypted")
        case .all: BilingualText(zh: "全部字段加密", en: "every column encrypted")
        }
    }

    fileprivate var strictness: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// What a rule saved before encryption existed gets: its masking, so that what is masked is also encrypted.
    init(following masking: GradeMasking) {
        switch masking {
        case .none: self = .none
        case .byKind: self = .byKind
        case .all: self = .all
        }
    }
}

/// What one security grade allows at most, and therefore what a new item or entry of that grade gets by default.
public struct GradeRule: Sendable, Hashable, Codable {
    /// The loosest share type data of this grade may have.
    public var shareType: ShareType
    /// The loosest openness data of this grade may have.
    public var openness: Openness
    public var masking: GradeMasking
    /// Which columns are encrypted at rest.
    public var encryption: GradeEncryption

    public init(
        shareType: ShareType, openness: Openness, masking: GradeMasking, encryption: GradeEncryption? = nil
    ) {
        self.shareType = shareType
        self.openness = openness
        self.masking = masking
        self.encryption = encryption ?? GradeEncryption(following: masking)
    }

    private enum CodingKeys: String, CodingKey {
        case shareType, openness, masking, encryption
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            shareType: try container.decode(ShareType.self, forKey: .shareType),
            openness: try container.decode(Openness.self, forKey: .openness),
            masking: try container.decode(GradeMasking.self, forKey: .masking),
            encryption: try container.decodeIfPresent(GradeEncryption.self, forKey: .encryption))
    }
}

/// The grade policy matrix (domain.md §4.2): from each security grade (GB/T 43697, with the four sub-levels of
/// 一般数据) to its default — and loosest permitted — share type, openness and masking. The matrix is a design choice,
/// not a standard, so a node seeds it from `Resources/seed/grade-policy.json` and the operator may change it.
///
/// Every grade has a rule, and a higher grade is never looser than a lower one in any column: otherwise raising an
/// item's grade (就高从严) could loosen what may be done with it.
public struct GradePolicy: Sendable, Hashable {
    public private(set) var rules: [SecurityGrade: GradeRule]

    public init(rules: [SecurityGrade: GradeRule]) throws(ValidationError) {
        var issues = ValidationCollector()
        for grade in SecurityGrade.allCases where rules[grade] == nil {
            issues.add(
                "grades.\(grade.rawValue)",
                BilingualText(zh: "缺少“\(grade.label.zh)”的规则", en: "no rule for \(grade.label.en)"))
        }
        let present = SecurityGrade.allCases.compactMap { grade in rules[grade].map { (grade, $0) } }
        for (lower, higher) in zip(present, present.dropFirst()) {
            let field = "grades.\(higher.0.rawValue)"
            let looser = BilingualText(
                zh: "“\(higher.0.label.zh)”不能比“\(lower.0.label.zh)”宽松（就高从严）",
                en: "\(higher.0.label.en) cannot be looser than \(lower.0.label.en) (the stricter grade prevails)")
            if higher.1.shareType.strictness < lower.1.shareType.strictness { issues.add("\(field).shareType", looser) }
            if higher.1.openness.strictness < lower.1.openness.strictness { issues.add("\(field).openness", looser) }
            if higher.1.masking.strictness < lower.1.masking.strictness { issues.add("\(field).masking", looser) }
            if higher.1.encryption.strictness < lower.1.encryption.strictness {
                issues.add("\(field).encryption", looser)
            }
        }
        try issues.throwIfAny()
        self.rules = rules
    }

    public func rule(for grade: SecurityGrade) -> GradeRule {
        // The initialiser guarantees every grade; the fallback is the strictest possible rule, never a loose one.
        rules[grade] ?? GradeRule(shareType: .notShared, openness: .closed, masking: .all, encryption: .all)
    }

    /// The columns of `content` a node running `gm` stores encrypted: each item by its own grade's rule.
    public func columnsEncryptedAtRest(_ content: CatalogEntryContent) -> Set<String> {
        Set(
            content.items.filter { item in
                switch rule(for: item.grade).encryption {
                case .none: false
                case .byKind: item.semanticKind.isPersonalIdentifier
                case .all: true
                }
            }.map(\.columnName))
    }

    /// The default masking of an item of `kind` graded `grade`, with the node's rules per kind.
    public func masking(for grade: SecurityGrade, kind: SemanticKind, policy: MaskingPolicy) -> MaskingRule {
        switch rule(for: grade).masking {
        case .none: .none
        case .byKind: policy.rule(for: kind)
        case .all: .all
        }
    }

    /// Checks that an entry (already `validated()`, so its grade is at least its highest item's) is not shared or
    /// opened more loosely than its grade allows, naming the item whose grade forces the stricter setting. Items
    /// need no check of their own: validation keeps them at least as strict as the entry, and the policy never
    /// allows a lower grade less than a higher one.
    public func check(_ content: CatalogEntryContent) throws(ValidationError) {
        var issues = ValidationCollector()
        for problem in problems(content) { issues.add(problem.field, problem.message) }
        try issues.throwIfAny()
    }

    /// What `check` reports, as field and message, for callers that report in their own form (a sheet's rows).
    public func problems(_ content: CatalogEntryContent) -> [(field: String, message: BilingualText)] {
        var issues: [(field: String, message: BilingualText)] = []
        let allowed = rule(for: content.grade)
        // The item that sets the entry's grade, when one does; otherwise the entry's own declared grade does.
        let deciding = content.items.max { $0.grade < $1.grade }.flatMap { $0.grade == content.grade ? $0 : nil }
        func because() -> BilingualText {
            if let deciding {
                return BilingualText(
                    zh: "信息项“\(deciding.name)”（\(deciding.columnName)）为\(deciding.grade.label.zh)",
                    en: "item \(deciding.name) (\(deciding.columnName)) is graded \(deciding.grade.label.en)")
            }
            return BilingualText(
                zh: "目录的安全级别为\(content.grade.label.zh)", en: "the entry is graded \(content.grade.label.en)")
        }
        if content.shareType.strictness < allowed.shareType.strictness {
            let reason = because()
            issues.append(
                (
                    "shareType",
                    BilingualText(
                        zh: "共享类型“\(content.shareType.label.zh)”宽于安全级别允许的“\(allowed.shareType.label.zh)”：\(reason.zh)",
                        en:
                            "share type \(content.shareType.label.en) is looser than the grade allows (\(allowed.shareType.label.en)): \(reason.en)"
                    )
                ))
        }
        if content.openness.strictness < allowed.openness.strictness {
            let reason = because()
            issues.append(
                (
                    "openness",
                    BilingualText(
                        zh: "开放属性“\(content.openness.label.zh)”宽于安全级别允许的“\(allowed.openness.label.zh)”：\(reason.zh)",
                        en:
                            "openness \(content.openness.label.en) is looser than the grade allows (\(allowed.openness.label.en)): \(reason.en)"
                    )
                ))
        }
        return issues
    }
}

extension Openness {
    /// 无条件开放 < 有条件开放 < 不予开放.
    fileprivate var strictness: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

// MARK: - JSON (the seed file and the API)

extension GradePolicy: Codable {
    /// `{"grades": {"general1": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"}, …}}`
    /// with grades, share types, openness and masking by their raw values.
    struct File: Codable {
        var grades: [String: GradeRule]
    }

    public init(from decoder: any Decoder) throws {
        let file = try File(from: decoder)
        self = try Self.checked(file)
    }

    public func encode(to encoder: any Encoder) throws {
        try File(grades: Dictionary(uniqueKeysWithValues: rules.map { ($0.key.rawValue, $0.value) })).encode(
            to: encoder)
    }

    static func checked(_ file: File) throws(ValidationError) -> GradePolicy {
        var rules: [SecurityGrade: GradeRule] = [:]
        var issues = ValidationCollector()
        for (name, rule) in file.grades.sorted(by: { $0.key < $1.key }) {
            guard let grade = SecurityGrade(rawValue: name) else {
                issues.add(
                    "grades.\(name)",
                    BilingualText(
                        zh: "未知的安全级别 \(name)，可选：\(SecurityGrade.allCases.map(\.rawValue).joined(separator: "、"))",
                        en:
                            "unknown grade \(name); choose from \(SecurityGrade.allCases.map(\.rawValue).joined(separator: ", "))"
                    ))
                continue
            }
            rules[grade] = rule
        }
        try issues.throwIfAny()
        return try GradePolicy(rules: rules)
    }

    /// Reads the seed or an operator's edit, reporting every problem with its place.
    public static func decode(_ data: Data, source: String = "grade-policy.json") throws(ValidationError)
        -> GradePolicy
    {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw ValidationError(
                field: source,
                BilingualText(
                    zh:
                        "不是有效的分级策略：应为 {\"grades\": {安全级别: {\"shareType\": …, \"openness\": …, \"masking\": \"none|byKind|all\", \"encryption\": \"none|byKind|all\"}}}",
                    en:
                        "not a grade policy: expected {\"grades\": {grade: {\"shareType\": …, \"openness\": …, \"masking\": \"none|byKind|all\", \"encryption\": \"none|byKind|all\"}}}"
                ))
        }
        return try checked(file)
    }
}
