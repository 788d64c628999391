/// A message shown to a person, in Chinese first and English second.
public struct BilingualText: Sendable, Hashable, Codable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    /// The form used in API error bodies and logs: both languages, Chinese first.
    public var combined: String { zh == en ? zh : "\(zh) (\(en))" }

    /// Each language of a text stored in its `combined` form ("文件为空 (the file is empty)"), for a page that
    /// speaks one; a text without a trailing parenthesised English part is the same in both.
    public init(combined text: String) {
        self.init(zh: text, en: text)
        guard text.hasSuffix(")") else { return }
        var depth = 0
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            if text[index] == ")" { depth += 1 }
            if text[index] == "(" {
                depth -= 1
                if depth == 0 { break }
            }
        }
        guard depth == 0, index > text.startIndex, text[text.index(before: index)] == " " else { return }
        let chinese = text[..<text.index(before: index)]
        // Only a Chinese text carries an English copy; "(a) (b)" of one language stays whole.
        guard chinese.unicodeScalars.contains(where: { (0x4E00...0x9FFF).contains($0.value) }) else { return }
        self.init(
            zh: String(chinese), en: String(text[text.index(after: index)..<text.index(before: text.endIndex)]))
    }
}

/// What kind of failure an error is; the HTTP edge maps each kind to a status code.
public enum ErrorKind: String, Sendable, Hashable {
    case badInput
    case unauthenticated
    case forbidden
    case notFound
    case conflict
    case unprocessable
    case tooLarge
    /// A rate limit or quota is used up; the caller may retry later.
    case tooManyRequests
    case unavailable
    /// A system this one relies on (a provider's upstream API) failed or did not answer in time.
    case upstreamFailed
    case `internal`
}

/// One problem with one field of a request, named so that a form or a client can point at it.
public struct FieldIssue: Sendable, Hashable, Codable {
    public var field: String
    /// Both languages, for API clients and logs.
    public var message: String
    /// Each language apart, for pages, which speak one language at a time (not part of the JSON).
    public var text: BilingualText

    public init(field: String, message: BilingualText) {
        self.field = field
        self.message = message.combined
        self.text = message
    }

    private enum CodingKeys: String, CodingKey {
        case field
        case message
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        field = try container.decode(String.self, forKey: .field)
        message = try container.decode(String.self, forKey: .message)
        text = BilingualText(zh: message, en: message)
    }

    /// Issues are the same when they say the same thing, however they were read.
    public static func == (lhs: FieldIssue, rhs: FieldIssue) -> Bool {
        lhs.field == rhs.field && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(field)
        hasher.combine(message)
    }
}

/// Every module's error type conforms to this, so that every path (API, page, CLI, log) can explain a failure
/// the same way without knowing which module raised it.
public protocol HuitongError: Error, Sendable {
    /// A stable machine-readable code, e.g. `validation_failed`.
    var code: String { get }
    var kind: ErrorKind { get }
    var message: BilingualText { get }
    var details: [FieldIssue] { get }
}

extension HuitongError {
    public var details: [FieldIssue] { [] }
}

/// Input that breaks a rule of the domain. Carries every problem found, not only the first.
public struct ValidationError: HuitongError, Equatable {
    public var issues: [FieldIssue]

    public init(_ issues: [FieldIssue]) {
        self.issues = issues
    }

    public init(field: String, _ message: BilingualText) {
        self.issues = [FieldIssue(field: field, message: message)]
    }

    public var code: String { "validation_failed" }
    public var kind: ErrorKind { .badInput }
    public var details: [FieldIssue] { issues }
    public var message: BilingualText {
        let fields = issues.map(\.field).joined(separator: ", ")
        return BilingualText(zh: "输入有误：\(fields)", en: "Invalid input: \(fields)")
    }
}

/// Collects field problems while a request is checked, then throws them all at once.
public struct ValidationCollector: Sendable {
    public private(set) var issues: [FieldIssue] = []

    public init() {}

    public mutating func add(_ field: String, _ message: BilingualText) {
        issues.append(FieldIssue(field: field, message: message))
    }

    public func throwIfAny() throws(ValidationError) {
        if !issues.isEmpty { throw ValidationError(issues) }
    }

    /// A setting read from flags or the environment that must lie in `range`; `field` names it as the operator
    /// typed it (e.g. `HUITONG_SHARING_PROVIDER_REVIEW_DAYS`).
    public mutating func require(_ value: Int, in range: ClosedRange<Int>, _ field: String) {
        guard !range.contains(value) else { return }
        add(
            field,
            BilingualText(
                zh: "须在 \(range.lowerBound)–\(range.upperBound) 之间，实为 \(value)",
                en: "must be \(range.lowerBound)–\(range.upperBound), not \(value)"))
    }

    /// An interval setting that must be at least a second.
    public mutating func requireAtLeastASecond(_ interval: Duration, _ field: String) {
        guard interval < .seconds(1) else { return }
        add(field, BilingualText(zh: "须至少 1 秒", en: "must be at least one second"))
    }
}
