/// A 组织机构代码 (GB 11714-1997): an 8-character body of digits and upper-case letters, then a check character,
/// printed as `D2143569-X`.
///
/// The MOD 11 check cannot see every substitution: letters count as 10–35, so characters whose values differ by
/// 11 or 22 (e.g. `0`, `B`, `M`, `X`) can replace one another without changing the check character.
public struct OrganizationCode: CheckedIdentifier {
    public static let identifierKind = IdentifierKind.organizationCode

    /// 2^(9−i) mod 11 for body positions 1...8.
    static let weights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// The canonical form, with the hyphen: `D2143569-X`.
    public let text: String

    /// Accepts the code with or without the hyphen (`D2143569-X` or `D2143569X`) and lower-case letters.
    public init(_ raw: String) throws(IdentifierError) {
        var characters = IdentifierText.normalized(raw)
        guard !characters.isEmpty else { throw .badFormat(.organizationCode, .empty) }
        let hyphenated = characters.contains("-")
        if hyphenated {
            let hyphens = characters.indices.filter { characters[$0] == "-" }
            if let misplaced = hyphens.first(where: { $0 != 8 }) {
                throw .badFormat(.organizationCode, .misplacedHyphen(position: misplaced + 1))
            }
            characters.remove(at: 8)
        }
        guard characters.count == 9 else {
            throw .badFormat(.organizationCode, .wrongLength(expected: 9, actual: characters.count))
        }
        try IdentifierText.requireAll(
            characters[0..<8],
            startingAt: 1,
            allowed: .digitsOrUppercaseLetters,
            kind: .organizationCode
        ) { IdentifierText.alphanumericValue($0) != nil }
        let given = characters[8]
        if IdentifierText.digitValue(given) == nil && given != "X" {
            let position = hyphenated ? 10 : 9
            throw .badFormat(.organizationCode, .invalidCharacter(given, position: position, allowed: .digitsOrX))
        }
        let expected = Self.check(forBody: characters[0..<8])
        guard given == expected else { throw .badChecksum(.organizationCode, expected: expected) }
        self.text = String(characters[0..<8]) + "-" + String(given)
    }

    /// The check character for an 8-character body, e.g. `D2143569` → `X`.
    public static func checkCharacter(forBody body: String) throws(IdentifierError) -> Character {
        let characters = IdentifierText.normalized(body)
        guard characters.count == 8 else {
            throw .badFormat(.organizationCode, .wrongLength(expected: 8, actual: characters.count))
        }
        try IdentifierText.requireAll(
            characters,
            startingAt: 1,
            allowed: .digitsOrUppercaseLetters,
            kind: .organizationCode
        ) { IdentifierText.alphanumericValue($0) != nil }
        return check(forBody: characters)
    }

    /// The eight characters before the hyphen.
    public var body: String { String(text.prefix(8)) }

    /// The character after the hyphen, `0`–`9` or `X`.
    public var checkCharacter: Character { text.last ?? "0" }

    /// The nine characters without the hyphen, as embedded in positions 9–17 of a 统一社会信用代码.
    public var compactText: String { body + String(checkCharacter) }

    /// Callers have already ensured 8 characters from `0`–`9` and `A`–`Z`.
    private static func check(forBody body: some Collection<Character>) -> Character {
        let sum = zip(body, weights).reduce(0) { sum, pair in
            sum + (IdentifierText.alphanumericValue(pair.0) ?? 0) * pair.1
        }
        switch 11 - sum % 11 {
        case 10: return "X"
        case 11: return "0"
        case let value: return Character(String(value))
        }
    }
}
