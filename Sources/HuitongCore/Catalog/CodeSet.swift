import Foundation

/// 代码集: the values a coded data item may take, such as GB/T 2261.1-2003 人的性别代码 (0 未知的性别, 1 男性, …).
/// A data item names its code set by id (`InfoItem.codeSet`); ingest then accepts a code, or a label or alias that
/// names exactly one code, which it stores as the code.
public struct CodeSet: Sendable, Hashable, Codable, Identifiable {
    /// One value of the set, e.g. `1` 男性.
    public struct Code: Sendable, Hashable, Codable {
        public var code: String
        /// 代码名称, e.g. 男性.
        public var label: String
        /// Other spellings accepted on ingest and stored as `code`, e.g. 男 for 1 男性.
        public var aliases: [String]

        public init(code: String, label: String, aliases: [String] = []) {
            self.code = code
            self.label = label
            self.aliases = aliases
        }

        enum CodingKeys: String, CodingKey {
            case code
            case label
            case aliases
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            code = try container.decode(String.self, forKey: .code)
            label = try container.decode(String.self, forKey: .label)
            aliases = try container.decodeIfPresent([String].self, forKey: .aliases) ?? []
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(code, forKey: .code)
            try container.encode(label, forKey: .label)
            if !aliases.isEmpty { try container.encode(aliases, forKey: .aliases) }
        }
    }

    /// The standard and its edition, e.g. `GB/T 2261.1-2003`.
    public var id: String
    /// 代码集名称 in Chinese and English.
    public var name: BilingualText
    /// The codes in the standard's order.
    public var codes: [Code]

    public init(id: String, name: BilingualText, codes: [Code]) {
        self.id = id
        self.name = name
        self.codes = codes
    }

    /// The longest id, code, label or alias a code set may have.
    public static let maximumIDLength = 64
    public static let maximumCodeLength = 64
    public static let maximumLabelLength = 200
    /// More codes than any national code table (GB/T 2260 has a few thousand).
    public static let maximumCodes = 20_000

    /// The code set in canonical form (trimmed text, an English name that falls back to the Chinese one), or every
    /// problem found: an empty or overlong id or name, no codes, an empty or repeated code, an empty label, an alias
    /// that is already another code, label or alias of the set.
    ///
    /// Two codes may share a label (GB/T 2260 names many districts 市辖区); such a label is then not accepted in
    /// place of a code, since it names more than one.
    public func validated() throws(ValidationError) -> CodeSet {
        var issues = ValidationCollector()
        var result = self
        result.id = Self.clean(id)
        if result.id.isEmpty || result.id.count > Self.maximumIDLength || Self.hasControlCharacters(result.id) {
            issues.add(
                "id",
                BilingualText(
                    zh: "代码集标识须为 1–\(Self.maximumIDLength) 个字符，如 GB/T 2261.1-2003",
                    en: "a code set id has 1–\(Self.maximumIDLength) characters, e.g. GB/T 2261.1-2003"))
        }
        result.name = BilingualText(zh: Self.clean(name.zh), en: Self.clean(name.en))
        if result.name.en.isEmpty { result.name.en = result.name.zh }
        if result.name.zh.isEmpty || result.name.zh.count > 200 || result.name.en.count > 200 {
            issues.add(
                "name", BilingualText(zh: "代码集名称须为 1–200 个字符", en: "a code set name has 1–200 characters"))
        }
        if codes.isEmpty {
            issues.add("codes", BilingualText(zh: "代码集至少要有一个代码", en: "a code set needs at least one code"))
        } else if codes.count > Self.maximumCodes {
            issues.add(
                "codes",
                BilingualText(
                    zh: "代码集最多 \(Self.maximumCodes) 个代码", en: "a code set has at most \(Self.maximumCodes) codes"))
        }
        result.codes = codes.map { code in
            Code(
                code: Self.clean(code.code), label: Self.clean(code.label),
                aliases: code.aliases.map(Self.clean).filter { !$0.isEmpty })
        }
        var codeRows: [String: Int] = [:]
        for (index, code) in result.codes.enumerated() {
            let field = "codes[\(index)]"
            if code.code.isEmpty || code.code.count > Self.maximumCodeLength || Self.hasControlCharacters(code.code) {
                issues.add(
                    "\(field).code",
                    BilingualText(
                        zh: "代码须为 1–\(Self.maximumCodeLength) 个字符",
                        en: "a code has 1–\(Self.maximumCodeLength) characters"
                    ))
            } else if let first = codeRows[code.code] {
                issues.add(
                    "\(field).code",
                    BilingualText(
                        zh: "代码“\(code.code)”与第 \(first + 1) 个代码重复",
                        en: "code \"\(code.code)\" repeats code \(first + 1)"))
            } else {
                codeRows[code.code] = index
            }
            if code.label.isEmpty || code.label.count > Self.maximumLabelLength
                || Self.hasControlCharacters(code.label)
            {
                issues.add(
                    "\(field).label",
                    BilingualText(
                        zh: "代码名称须为 1–\(Self.maximumLabelLength) 个字符",
                        en: "a code's label has 1–\(Self.maximumLabelLength) characters"))
            }
        }
        // An alias may not be another code's code, label or alias: it would name two codes. Repeats of the code's
        // own code, label or aliases are dropped.
        var owners = codeRows
        for (index, code) in result.codes.enumerated() where owners[code.label] == nil {
            owners[code.label] = index
        }
        for (index, code) in result.codes.enumerated() {
            var kept: [String] = []
            for (position, alias) in code.aliases.enumerated() {
                let field = "codes[\(index)].aliases[\(position)]"
                if alias.count > Self.maximumLabelLength || Self.hasControlCharacters(alias) {
                    issues.add(
                        field,
                        BilingualText(
                            zh: "别名须为 1–\(Self.maximumLabelLength) 个字符",
                            en: "an alias has 1–\(Self.maximumLabelLength) characters"))
                } else if let owner = owners[alias], owner != index {
                    issues.add(
                        field,
                        BilingualText(
                            zh: "别名“\(alias)”已用于代码“\(result.codes[owner].code)”",
                            en: "alias \"\(alias)\" already stands for code \"\(result.codes[owner].code)\""))
                } else if alias != code.code && alias != code.label && !kept.contains(alias) {
                    owners[alias] = index
                    kept.append(alias)
                }
            }
            result.codes[index].aliases = kept
        }
        try issues.throwIfAny()
        return result
    }

    /// Every text ingest accepts for this set and the code it stands for: each code itself, then each label and
    /// alias that names exactly one code (a code always wins over another code's label).
    public var accepted: [String: String] {
        var result: [String: String] = [:]
        for code in codes { result[code.code] = code.code }
        var named: [String: String?] = [:]
        for code in codes {
            for text in [code.label] + code.aliases where result[text] == nil {
                if let earlier = named[text], earlier != code.code {
                    named[text] = .some(nil)
                } else {
                    named[text] = code.code
                }
            }
        }
        for (text, code) in named {
            if let code { result[text] = code }
        }
        return result
    }

    /// The code `text` stands for (a code, or a label or alias naming exactly one code), or nil.
    public func code(for text: String) -> String? {
        accepted[Self.clean(text)]
    }

    /// How a rejected value is explained: the set, and its first codes with their labels.
    public var allowedValues: BilingualText {
        let shown = codes.prefix(10).map { "\($0.code) \($0.label)" }
        let more = codes.count > 10
        return BilingualText(
            zh: shown.joined(separator: "、") + (more ? " 等共 \(codes.count) 个" : ""),
            en: shown.joined(separator: ", ") + (more ? ", … (\(codes.count) codes)" : ""))
    }

    static func clean(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
