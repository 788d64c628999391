import Foundation

/// 信息资源代码 (domain.md §1.2): `前段码/后段码`, where the 前段码 is the classification path
/// (类 1 digit, 项 2, 目 3, 细目 the rest) and the 后段码 a sequence within that path.
public struct ResourceCode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 前段码, all digits, e.g. `101001`.
    public let classificationPath: String
    /// 后段码, e.g. `0001`.
    public let sequence: String

    public init(classificationPath: String, sequence: String) {
        self.classificationPath = classificationPath
        self.sequence = sequence
    }

    public var text: String { "\(classificationPath)/\(sequence)" }
    public var description: String { text }

    /// 类, 项, 目 and (possibly empty) 细目, cut positionally as 1 + 2 + 3 + rest.
    public var segments: (category: String, item: String, heading: String, subheading: String) {
        let digits = Array(classificationPath)
        func part(_ range: Range<Int>) -> String {
            String(digits[min(range.lowerBound, digits.count)..<min(range.upperBound, digits.count)])
        }
        return (part(0..<1), part(1..<3), part(3..<6), part(6..<max(6, digits.count)))
    }

    /// Encodes as its text form, which is what people and other systems exchange.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try NationalResourceCodeScheme().parse(text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.message.en))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Why a text is not a resource code.
public struct ResourceCodeError: HuitongError, Equatable {
    public let text: String
    public let reason: BilingualText

    public var code: String { "invalid_resource_code" }
    public var kind: ErrorKind { .badInput }
    public var message: BilingualText {
        BilingualText(zh: "信息资源代码“\(text)”无效：\(reason.zh)", en: "resource code \"\(text)\" is invalid: \(reason.en)")
    }
}

/// A way of reading and assigning resource codes. Provinces have their own schemes (DB15/T 1875 and others); the
/// national one of 编制指南 is the default.
public protocol ResourceCodeScheme: Sendable {
    func parse(_ text: String) throws(ResourceCodeError) -> ResourceCode
    /// The code for the `number`-th entry filed under `classificationPath`.
    func assign(classificationPath: String, number: Int) throws(ResourceCodeError) -> ResourceCode
}

/// 编制指南's scheme: the 前段码 is at least six digits, the 后段码 a sequence of digits.
public struct NationalResourceCodeScheme: ResourceCodeScheme {
    /// Sequences are written with at least this many digits, as catalog systems in use do (e.g. `111112001/2001`).
    public var sequenceWidth: Int

    public init(sequenceWidth: Int = 4) {
        self.sequenceWidth = sequenceWidth
    }

    public func parse(_ text: String) throws(ResourceCodeError) -> ResourceCode {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let slash = trimmed.firstIndex(of: "/") else {
            throw ResourceCodeError(
                text: text, reason: BilingualText(zh: "缺少分隔符“/”", en: "the separator \"/\" is missing"))
        }
        let path = String(trimmed[..<slash])
        let sequence = String(trimmed[trimmed.index(after: slash)...])
        try checkPath(path, text: text)
        guard !sequence.isEmpty, sequence.count <= 12, sequence.allSatisfy(\.isASCIIDigit) else {
            throw ResourceCodeError(
                text: text,
                reason: BilingualText(zh: "后段码（顺序码）须为 1–12 位数字", en: "the sequence part must be 1–12 digits"))
        }
        return ResourceCode(classificationPath: path, sequence: sequence)
    }

    public func assign(classificationPath: String, number: Int) throws(ResourceCodeError) -> ResourceCode {
        try checkPath(classificationPath, text: classificationPath)
        guard number > 0 else {
            throw ResourceCodeError(
                text: classificationPath,
                reason: BilingualText(zh: "顺序号须为正整数", en: "the sequence number must be positive"))
        }
        let digits = String(number)
        let padded = String(repeating: "0", count: max(0, sequenceWidth - digits.count)) + digits
        return ResourceCode(classificationPath: classificationPath, sequence: padded)
    }

    private func checkPath(_ path: String, text: String) throws(ResourceCodeError) {
        guard path.count >= 6, path.count <= 20, path.allSatisfy(\.isASCIIDigit) else {
            throw ResourceCodeError(
                text: text,
                reason: BilingualText(
                    zh: "前段码（分类码）须为 6–20 位数字（类1位+项2位+目3位+细目）",
                    en: "the classification part must be 6–20 digits (1 category + 2 item + 3 heading + sub-heading)"
                ))
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// One node of a classification scheme, e.g. 编制指南's `1` 基础信息资源目录 → `101` 国家人口基础信息资源.
///
/// The nodes are seed data (domain.md §1.1), never literals: a bureau can add its own 目 and 细目.
public struct ClassificationNode: Sendable, Hashable, Codable {
    /// `guide` for 编制指南's 类/项/目/细目, or another scheme such as GB/T 21063.4's theme classification.
    public var scheme: String
    /// The full path of digits from the root, e.g. `101` for 类 1, 项 01.
    public var code: String
    public var name: String

    public init(scheme: String, code: String, name: String) {
        self.scheme = scheme
        self.code = code
        self.name = name
    }

    public static let guideScheme = "guide"

    /// 1 = 类, 2 = 项, 3 = 目, 4 = 细目, from the positional cut 1 + 2 + 3 + rest.
    public var level: Int {
        switch code.count {
        case 1: 1
        case 3: 2
        case 6: 3
        default: code.count > 6 ? 4 : 0
        }
    }

    /// The code of the node one level up, or nil at the top.
    public var parentCode: String? {
        switch code.count {
        case ...1: nil
        case 2...3: String(code.prefix(1))
        case 4...6: String(code.prefix(3))
        default: String(code.prefix(6))
        }
    }

    /// Whether entries may be filed here: resource codes need at least 类 + 项 + 目.
    public var acceptsEntries: Bool { level >= 3 }

    public func validated() throws(ValidationError) -> ClassificationNode {
        var issues = ValidationCollector()
        let code = code.trimmingCharacters(in: .whitespaces)
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if !code.allSatisfy(\.isASCIIDigit) || Self(scheme: scheme, code: code, name: name).level == 0
            || code.count > 20
        {
            issues.add(
                "code",
                BilingualText(
                    zh: "分类代码须为 1、3、6 或 7–20 位数字（类/项/目/细目）",
                    en: "a classification code has 1, 3, 6 or 7–20 digits (category/item/heading/sub-heading)"))
        }
        if name.isEmpty || name.count > 100 {
            issues.add("name", BilingualText(zh: "分类名称须为 1–100 个字符", en: "name must be 1–100 characters"))
        }
        try issues.throwIfAny()
        return ClassificationNode(scheme: scheme, code: code, name: name)
    }
}
