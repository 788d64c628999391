import Foundation
import HuitongCore
import HuitongServices
import Hummingbird

/// A submitted console form: `application/x-www-form-urlencoded` fields, repeated names kept in order (checkbox
/// groups), checked against the session's anti-forgery token before anything is read from it.
struct ConsoleForm: Sendable {
    var values: [String: [String]]

    static let sizeLimit = 64 * 1024

    /// Reads the body (at most `limit` bytes) and checks its `_csrf` field against the session's token.
    static func read(_ request: Request, context: HuitongRequestContext, limit: Int = sizeLimit) async throws
        -> ConsoleForm
    {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError.bodyTooLarge(limit: limit)
        }
        let form = ConsoleForm(encoded: String(buffer: buffer))
        guard let sent = form.values["_csrf"]?.first, let expected = context.csrfToken,
            Secrets.constantTimeEquals(sent, expected)
        else { throw APIError.csrfFailed }
        return form
    }

    init(encoded: String) {
        var values: [String: [String]] = [:]
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            values[name, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        self.values = values
    }

    /// The first value of `name`, or "".
    subscript(_ name: String) -> String { values[name]?.first ?? "" }

    func all(_ name: String) -> [String] { values[name] ?? [] }
}

/// Field problems as a page shows them: keyed by field (dots become `_`, as Mustache reads dots as paths), each
/// field with its messages, next to the input it names.
struct FieldErrors {
    private(set) var byField: [String: [String]] = [:]

    init() {}

    /// The problems of `error`, each in `language` only.
    init(_ error: ValidationError, _ language: Language) {
        for issue in error.issues { add(issue.field, issue.text.text(language)) }
    }

    mutating func add(_ field: String, _ message: String) {
        byField[Self.key(field), default: []].append(message)
    }

    mutating func add(_ field: String, _ message: BilingualText, _ language: Language) {
        add(field, message.text(language))
    }

    var isEmpty: Bool { byField.isEmpty }

    func has(_ field: String) -> Bool { byField[Self.key(field)] != nil }

    /// The page's `errors` value: `errors.purposeText` is the text for that field.
    var values: [String: String] { byField.mapValues { $0.joined(separator: "；") } }

    /// Keeps the problems of `other` for the fields this one does not already explain.
    mutating func merge(_ other: FieldErrors) {
        for (field, messages) in other.byField where byField[field] == nil { byField[field] = messages }
    }

    static func key(_ field: String) -> String { field.replacingOccurrences(of: ".", with: "_") }
}
