import Foundation

/// A node's masking rule per semantic kind: Hutool's defaults unless the bureau configured others
/// (`Resources/seed/masking.json`), plus the alternatives an operator may pick from (身份证号 first 6 + last 4).
public struct MaskingPolicy: Sendable, Hashable {
    /// Configured rules; a kind missing here uses `MaskingRule.default(for:)`.
    public private(set) var rules: [SemanticKind: MaskingRule]
    /// Other rules offered for a kind, e.g. where a bureau's practice differs from Hutool.
    public private(set) var alternatives: [SemanticKind: [MaskingRule]]

    /// Hutool's defaults, with 身份证号 first 6 + last 4 offered as the alternative.
    public static let builtIn = MaskingPolicy(
        checked: [:], alternatives: [.residentID: [MaskingRule.residentIDFirst6Last4]])

    private init(checked rules: [SemanticKind: MaskingRule], alternatives: [SemanticKind: [MaskingRule]]) {
        self.rules = rules
        self.alternatives = alternatives
    }

    /// A policy from explicit rules, each checked (`MaskingRule.problem`).
    public init(
        rules: [SemanticKind: MaskingRule], alternatives: [SemanticKind: [MaskingRule]] = [:]
    ) throws(ValidationError) {
        var issues = ValidationCollector()
        for (kind, rule) in rules.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if let problem = rule.problem { issues.add("rules.\(kind.rawValue)", problem) }
        }
        for (kind, choices) in alternatives.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for (index, rule) in choices.enumerated() {
                if let problem = rule.problem { issues.add("alternatives.\(kind.rawValue)[\(index)]", problem) }
            }
        }
        try issues.throwIfAny()
        self.init(checked: rules, alternatives: alternatives)
    }

    public func rule(for kind: SemanticKind) -> MaskingRule {
        rules[kind] ?? MaskingRule.default(for: kind)
    }

    /// The rule in force first, then the alternatives: what a settings page offers for `kind`.
    public func choices(for kind: SemanticKind) -> [MaskingRule] {
        var choices = [rule(for: kind)]
        for rule in [MaskingRule.default(for: kind)] + (alternatives[kind] ?? []) where !choices.contains(rule) {
            choices.append(rule)
        }
        return choices
    }

    /// Sets the rule for `kind`, refusing rules that make no sense (negative counts).
    public mutating func select(_ rule: MaskingRule, for kind: SemanticKind) throws(ValidationError) {
        if let problem = rule.problem { throw ValidationError(field: "rules.\(kind.rawValue)", problem) }
        rules[kind] = rule
    }

    /// `value`, of kind `kind`, as a caller without clearance may see it.
    public func mask(_ value: String, as kind: SemanticKind, pseudonymizer: Pseudonymizer? = nil) -> String {
        rule(for: kind).apply(to: value, pseudonymizer: pseudonymizer)
    }
}

extension MaskingRule {
    /// Why this rule cannot be used, or nil.
    public var problem: BilingualText? {
        switch self {
        case .keep(let first, let last):
            guard (0...64).contains(first), (0...64).contains(last) else {
                return BilingualText(
                    zh: "保留的首尾字符数须在 0–64 之间", en: "the characters kept at each end must be between 0 and 64")
            }
        case .maskTail(let count):
            guard (1...1000).contains(count) else {
                return BilingualText(zh: "遮盖的末尾字符数须在 1–1000 之间", en: "the masked tail must be 1–1000 characters")
            }
        case .email, .bankCard, .all, .none, .pseudonym:
            break
        }
        return nil
    }
}

// MARK: - The seed file

extension MaskingPolicy {
    /// Reads the seed format:
    ///
    ///     {"rules": {"residentID": {"rule": "keep", "first": 1, "last": 2}, "address": {"rule": "maskTail",
    ///      "count": 8}, "email": {"rule": "email"}, …},
    ///      "alternatives": {"residentID": [{"rule": "keep", "first": 6, "last": 4}]}}
    ///
    /// Rule names: keep (first, last), maskTail (count), email, bankCard, all, none, pseudonym. Kinds are the raw
    /// values of `SemanticKind`; kinds left out keep Hutool's default. Every problem is reported with its place.
    public static func decode(seed data: Data) throws(ValidationError) -> MaskingPolicy {
        let file: SeedFile
        do {
            file = try JSONDecoder().decode(SeedFile.self, from: data)
        } catch {
            throw ValidationError(
                field: "masking.json",
                BilingualText(
                    zh: "不是有效的遮盖规则文件：应为 {\"rules\": {种类: {\"rule\": …}}}",
                    en: "not a masking rule file: expected {\"rules\": {kind: {\"rule\": …}}}"))
        }
        var issues = ValidationCollector()
        var rules: [SemanticKind: MaskingRule] = [:]
        var alternatives: [SemanticKind: [MaskingRule]] = [:]
        for (name, spec) in file.rules.sorted(by: { $0.key < $1.key }) {
            guard let kind = SemanticKind(rawValue: name) else {
                issues.add("rules.\(name)", unknownKind(name))
                continue
            }
            switch spec.parsed() {
            case .success(let rule): rules[kind] = rule
            case .failure(let problem): issues.add("rules.\(name)", problem)
            }
        }
        for (name, specs) in (file.alternatives ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let kind = SemanticKind(rawValue: name) else {
                issues.add("alternatives.\(name)", unknownKind(name))
                continue
            }
            for (index, spec) in specs.enumerated() {
                switch spec.parsed() {
                case .success(let rule): alternatives[kind, default: []].append(rule)
                case .failure(let problem): issues.add("alternatives.\(name)[\(index)]", problem)
                }
            }
        }
        try issues.throwIfAny()
        return MaskingPolicy(checked: rules, alternatives: alternatives)
    }

    private static func unknownKind(_ name: String) -> BilingualText {
        BilingualText(
            zh: "未知的数据种类 \(name)，可选：\(SemanticKind.allCases.map(\.rawValue).joined(separator: "、"))",
            en: "unknown kind \(name); choose from \(SemanticKind.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    struct SeedFile: Decodable {
        var rules: [String: RuleSpec]
        var alternatives: [String: [RuleSpec]]?
    }

    struct RuleSpec: Decodable {
        var rule: String
        var first: Int?
        var last: Int?
        var count: Int?

        func parsed() -> Result<MaskingRule, ValidationFailure> {
            let made: MaskingRule
            switch rule {
            case "keep":
                guard let first, let last else {
                    return .failure(
                        ValidationFailure(BilingualText(zh: "keep 规则须给出 first 和 last", en: "keep needs first and last"))
                    )
                }
                made = .keep(first: first, last: last)
            case "maskTail":
                guard let count else {
                    return .failure(
                        ValidationFailure(BilingualText(zh: "maskTail 规则须给出 count", en: "maskTail needs count")))
                }
                made = .maskTail(count: count)
            case "email": made = .email
            case "bankCard": made = .bankCard
            case "all": made = .all
            case "none": made = .none
            case "pseudonym": made = .pseudonym
            default:
                return .failure(
                    ValidationFailure(
                        BilingualText(
                            zh: "未知规则 \(rule)，可选：keep、maskTail、email、bankCard、all、none、pseudonym",
                            en:
                                "unknown rule \(rule); choose from keep, maskTail, email, bankCard, all, none, pseudonym"
                        )))
            }
            if let problem = made.problem { return .failure(ValidationFailure(problem)) }
            return .success(made)
        }
    }

    struct ValidationFailure: Error {
        var text: BilingualText
        init(_ text: BilingualText) { self.text = text }
    }
}

extension ValidationCollector {
    fileprivate mutating func add(_ field: String, _ failure: MaskingPolicy.ValidationFailure) {
        add(field, failure.text)
    }
}
