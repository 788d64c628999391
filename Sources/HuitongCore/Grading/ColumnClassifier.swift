import Foundation

/// Which security grade each semantic kind suggests (domain.md §4.1–4.2). A design choice, not a standard, so it is
/// data a node may replace: the defaults put identity and card numbers at the highest 一般数据 sub-level, contact and
/// identity details one below, and public registry codes at the lowest.
public struct GradingPolicy: Sendable, Hashable, Codable {
    public var grades: [SemanticKind: SecurityGrade]
    /// The grade of kinds missing from `grades`, `other` included.
    public var fallback: SecurityGrade

    public init(grades: [SemanticKind: SecurityGrade], fallback: SecurityGrade) {
        self.grades = grades
        self.fallback = fallback
    }

    public static let `default` = GradingPolicy(
        grades: [
            .residentID: .general4, .bankCard: .general4,
            .mobilePhone: .general3, .landline: .general3, .personName: .general3, .address: .general3,
            .email: .general3, .licensePlate: .general3,
            .creditCode: .general1, .regionCode: .general1,
        ],
        fallback: .general1)

    public func grade(for kind: SemanticKind) -> SecurityGrade { grades[kind] ?? fallback }
}

/// What the classifier proposes for one column. Only ever shown to the provider, who accepts or changes it; nothing
/// here is applied to the catalog by itself.
public struct ColumnSuggestion: Sendable, Hashable, Codable {
    public var kind: SemanticKind
    /// The share (0–1) of the non-empty sampled values that are valid values of `kind`; 0 for `other`.
    public var confidence: Double
    /// Non-empty values looked at.
    public var sampled: Int
    /// Of those, how many are valid values of `kind`.
    public var matched: Int
    public var grade: SecurityGrade
    public var masking: MaskingRule
    /// Why, e.g. "95% of 200 sampled values are valid resident ID numbers with correct check digits".
    public var reason: BilingualText

    public init(
        kind: SemanticKind, confidence: Double, sampled: Int, matched: Int, grade: SecurityGrade,
        masking: MaskingRule, reason: BilingualText
    ) {
        self.kind = kind
        self.confidence = confidence
        self.sampled = sampled
        self.matched = matched
        self.grade = grade
        self.masking = masking
        self.reason = reason
    }
}

/// Suggests a column's semantic kind, security grade and masking rule from a sample of its values.
///
/// Values decide: a kind is suggested when at least `threshold` of the non-empty sampled values are valid values of
/// it (with check digits where the kind has them). The column name and the item's Chinese name are weak hints: a
/// kind they name needs only `hintedThreshold`, and wins a tie.
public struct ColumnClassifier: Sendable {
    public var threshold: Double
    public var hintedThreshold: Double
    /// At most this many non-empty values are examined; the rest of a longer sample is ignored.
    public var sampleLimit: Int
    public var grading: GradingPolicy
    public var masking: MaskingPolicy
    public var recognizer: ValueRecognizer

    public init(
        threshold: Double = 0.8, hintedThreshold: Double = 0.6, sampleLimit: Int = 1000,
        grading: GradingPolicy = .default, masking: MaskingPolicy = .builtIn, today: CalendarDate = .today()
    ) {
        self.threshold = threshold
        self.hintedThreshold = hintedThreshold
        self.sampleLimit = sampleLimit
        self.grading = grading
        self.masking = masking
        self.recognizer = ValueRecognizer(today: today)
    }

    /// Kinds tried, in the order that breaks ties between equal match rates.
    static let candidates: [SemanticKind] = [
        .residentID, .creditCode, .bankCard, .mobilePhone, .landline, .regionCode, .email, .licensePlate,
        .personName, .address,
    ]

    /// A suggestion for a catalogued item from a sample of its column.
    public func suggest(for item: InfoItem, values: some Sequence<String?>) -> ColumnSuggestion {
        suggest(columnName: item.columnName, itemName: item.name, values: values)
    }

    public func suggest(columnName: String, itemName: String, values: some Sequence<String?>) -> ColumnSuggestion {
        var sample: [String] = []
        for value in values {
            guard let text = value?.trimmedOfWhitespace(), !text.isEmpty else { continue }
            sample.append(text)
            if sample.count >= sampleLimit { break }
        }
        let hinted = Self.hintedKind(columnName: columnName, itemName: itemName)
        guard !sample.isEmpty else {
            return suggestion(
                .other, matched: 0, sampled: 0,
                reason: BilingualText(
                    zh: "抽样中没有非空值，无法判断", en: "no non-empty values were sampled, so nothing can be told"))
        }
        var best: (kind: SemanticKind, matched: Int)?
        var runnerUp: (kind: SemanticKind, matched: Int)?
        for kind in Self.candidates {
            let matched = sample.reduce(0) { $0 + (recognizer.matches($1, as: kind) ? 1 : 0) }
            let rate = Double(matched) / Double(sample.count)
            let needed = kind == hinted ? hintedThreshold : threshold
            if rate >= needed {
                let current = best?.matched ?? -1
                if matched > current || (matched == current && kind == hinted) { best = (kind, matched) }
            } else if matched > (runnerUp?.matched ?? 0) {
                runnerUp = (kind, matched)
            }
        }
        if let best {
            let wording = Self.matchWording[best.kind] ?? BilingualText(zh: best.kind.label.zh, en: best.kind.label.en)
            let percent = Self.percent(best.matched, of: sample.count)
            var zh = "抽样 \(sample.count) 个非空值中 \(percent)% 为\(wording.zh)"
            var en = "\(percent)% of \(sample.count) sampled values are \(wording.en)"
            if best.kind == hinted {
                zh += "，列名或信息项名称亦如此提示"
                en += "; the column or item name says so too"
            }
            return suggestion(
                best.kind, matched: best.matched, sampled: sample.count, reason: BilingualText(zh: zh, en: en))
        }
        let reason: BilingualText
        if let runnerUp {
            let percent = Self.percent(runnerUp.matched, of: sample.count)
            reason = BilingualText(
                zh: "抽样 \(sample.count) 个非空值中最多只有 \(percent)% 像\(runnerUp.kind.label.zh)，不足以判断",
                en:
                    "at most \(percent)% of \(sample.count) sampled values look like \(runnerUp.kind.label.en), too few to tell"
            )
        } else {
            reason = BilingualText(
                zh: "抽样 \(sample.count) 个非空值均不像可识别的个人或主体信息",
                en: "none of \(sample.count) sampled values looks like a recognised personal or registry value")
        }
        return suggestion(.other, matched: 0, sampled: sample.count, reason: reason)
    }

    private func suggestion(_ kind: SemanticKind, matched: Int, sampled: Int, reason: BilingualText) -> ColumnSuggestion
    {
        ColumnSuggestion(
            kind: kind, confidence: sampled == 0 || kind == .other ? 0 : Double(matched) / Double(sampled),
            sampled: sampled, matched: matched, grade: grading.grade(for: kind), masking: masking.rule(for: kind),
            reason: reason)
    }

    /// Rounded down, so that 199 of 200 never reads as 100%.
    private static func percent(_ part: Int, of whole: Int) -> Int { part * 100 / whole }

    /// How a reason names the values that matched each kind.
    static let matchWording: [SemanticKind: BilingualText] = [
        .residentID: BilingualText(
            zh: "校验位正确的身份证号", en: "valid resident ID numbers (身份证号) with correct check digits"),
        .creditCode: BilingualText(
            zh: "校验位正确的统一社会信用代码", en: "valid unified social credit codes (统一社会信用代码) with correct check characters"),
        .regionCode: BilingualText(zh: "有效的行政区划代码", en: "valid region codes (行政区划代码)"),
        .mobilePhone: BilingualText(zh: "手机号", en: "mobile phone numbers (手机号)"),
        .landline: BilingualText(zh: "带区号的固定电话", en: "landline numbers with an area code (固定电话)"),
        .personName: BilingualText(zh: "姓名", en: "personal names (姓名)"),
        .address: BilingualText(zh: "含行政区划或门牌的地址", en: "addresses with place or street markers (地址)"),
        .bankCard: BilingualText(zh: "通过 Luhn 校验的银行卡号", en: "bank card numbers passing the Luhn check (银行卡号)"),
        .email: BilingualText(zh: "电子邮箱", en: "e-mail addresses (邮箱)"),
        .licensePlate: BilingualText(zh: "机动车号牌", en: "licence plates (车牌)"),
    ]

    /// Words in column names (pinyin initials or English, as whole `_`-separated parts) and in Chinese item names
    /// that hint at a kind.
    static let columnHints: [SemanticKind: Set<String>] = [
        .residentID: ["sfzh", "sfzhm", "gmsfhm", "zjhm", "idcard", "id_card", "idno"],
        .creditCode: ["tyshxydm", "shxydm", "xydm", "uscc", "creditcode"],
        .regionCode: ["xzqh", "xzqhdm", "qhdm", "regioncode"],
        .mobilePhone: ["sjh", "sjhm", "mobile", "cellphone"],
        .landline: ["gddh", "lxdh", "telephone", "tel", "landline"],
        .personName: ["xm", "name", "fullname", "personname"],
        .address: ["dz", "zz", "jzdz", "hjdz", "address", "addr"],
        .bankCard: ["yhkh", "yhzh", "bankcard", "cardno"],
        .email: ["email", "dzyx", "mail"],
        .licensePlate: ["cph", "hphm", "plate", "plateno"],
    ]

    static let itemNameHints: [SemanticKind: [String]] = [
        .residentID: ["身份证", "公民身份号码"],
        .creditCode: ["信用代码"],
        .regionCode: ["区划代码", "行政区划"],
        .mobilePhone: ["手机"],
        .landline: ["固定电话", "座机", "办公电话"],
        .personName: ["姓名"],
        .address: ["地址", "住址", "住所"],
        .bankCard: ["银行卡", "银行账号", "卡号"],
        .email: ["邮箱", "电子邮件"],
        .licensePlate: ["车牌", "号牌号码"],
    ]

    /// The kind the names point at, or nil when they point at none or at several.
    static func hintedKind(columnName: String, itemName: String) -> SemanticKind? {
        let lowered = columnName.lowercased()
        let parts = Set(lowered.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " }).map(String.init))
            .union([lowered])
        var found: Set<SemanticKind> = []
        for kind in candidates {
            if !(columnHints[kind] ?? []).isDisjoint(with: parts) { found.insert(kind) }
            if (itemNameHints[kind] ?? []).contains(where: { itemName.contains($0) }) { found.insert(kind) }
        }
        return found.count == 1 ? found.first : nil
    }
}
