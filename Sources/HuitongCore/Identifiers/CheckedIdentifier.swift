/// An identifier whose every value has passed its scheme's validation; holding one is proof the text is valid.
///
/// Values encode to and decode from their canonical text, so that JSON and database columns hold the familiar
/// string rather than a nested object.
public protocol CheckedIdentifier: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The scheme this type implements.
    static var identifierKind: IdentifierKind { get }

    /// The canonical text: upper-case, with the separators the standard prints.
    var text: String { get }

    /// Validates `raw` and keeps its canonical form. Surrounding whitespace is ignored; lower-case letters are
    /// accepted and upper-cased.
    init(_ raw: String) throws(IdentifierError)
}

extension CheckedIdentifier {
    public var description: String { text }

    /// Validates `raw` without throwing, e.g. to report each bad row of an import.
    public static func validate(_ raw: String) -> IdentifierValidation<Self> {
        IdentifierValidation { () throws(IdentifierError) in try Self(raw) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do throws(IdentifierError) {
            try self.init(raw)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message.combined)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// The outcome of validating one identifier: the parsed value, or the reason it was rejected.
public enum IdentifierValidation<Value: CheckedIdentifier>: Sendable, Hashable {
    case valid(Value)
    case invalid(IdentifierError)

    /// Runs `parse` and records its result or its error.
    public init(_ parse: () throws(IdentifierError) -> Value) {
        do throws(IdentifierError) {
            self = .valid(try parse())
        } catch {
            self = .invalid(error)
        }
    }

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }

    public var value: Value? {
        if case .valid(let value) = self { return value }
        return nil
    }

    public var error: IdentifierError? {
        if case .invalid(let error) = self { return error }
        return nil
    }

    /// The value, or the error thrown, for callers that prefer `try`.
    public func get() throws(IdentifierError) -> Value {
        switch self {
        case .valid(let value): return value
        case .invalid(let error): throw error
        }
    }
}

/// Character-level helpers shared by the identifier parsers.
enum IdentifierText {
    /// Runs `body` over the UTF-8 bytes of `text` without copying them when the string is stored contiguously
    /// (native strings always are). The byte-level fast paths below use it: a million-row load checks every
    /// identifier and date, and `Character`-by-`Character` parsing dominated its time.
    static func withBytes<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// The value of `count` ASCII digits starting at `start`, or nil if any byte is not one.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, count: Int) -> Int? {
        var value = 0
        for index in start..<start + count {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Trims surrounding whitespace and upper-cases ASCII letters only; `String.uppercased()` would also change
    /// other scripts (e.g. "ß" → "SS"), shifting the positions reported in errors.
    static func normalized(_ raw: String) -> [Character] {
        raw.trimmingWhitespace().map { character in
            guard let ascii = character.asciiValue, (97...122).contains(ascii) else { return character }
            return Character(UnicodeScalar(ascii - 32))
        }
    }

    /// The value of an ASCII digit `0`–`9`; `nil` for anything else, including full-width and other Unicode digits.
    static func digitValue(_ character: Character) -> Int? {
        guard let ascii = character.asciiValue, (48...57).contains(ascii) else { return nil }
        return Int(ascii - 48)
    }

    /// The value of `0`–`9` and `A`–`Z` as 0–35, as GB 11714 counts them.
    static func alphanumericValue(_ character: Character) -> Int? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case 48...57: return Int(ascii - 48)
        case 65...90: return Int(ascii - 65) + 10
        default: return nil
        }
    }

    /// Reads ASCII decimal digits only; `Int(String)` would also accept a sign, which identifiers never contain.
    static func number(fromDigits characters: some Collection<Character>) -> Int? {
        guard !characters.isEmpty, characters.count <= 18 else { return nil }
        var value = 0
        for character in characters {
            guard let digit = digitValue(character) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    /// Throws for the first character that fails `isAllowed`; `position` is the 1-based position of the first
    /// character of `characters` in the text the user typed.
    static func requireAll(
        _ characters: some Collection<Character>,
        startingAt position: Int,
        allowed: IdentifierError.AllowedCharacters,
        kind: IdentifierKind,
        where isAllowed: (Character) -> Bool
    ) throws(IdentifierError) {
        for (offset, character) in characters.enumerated() where !isAllowed(character) {
            throw .badFormat(kind, .invalidCharacter(character, position: position + offset, allowed: allowed))
        }
    }

    /// Control and whitespace characters are shown as `U+XXXX` so that an error message never looks empty.
    static func printable(_ character: Character) -> String {
        guard
            character.isWhitespace
                || character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return String(character) }
        let codePoints = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
        return codePoints.joined(separator: " ")
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
