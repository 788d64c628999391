/// An 18-character 统一社会信用代码 (GB 32100-2015) of a legal person or other organisation.
///
/// Layout: registration authority (1), category (2), registering office's region (3–8), the organisation's
/// 组织机构代码 (9–17, including its own check character), check character (18).
public struct UnifiedSocialCreditCode: CheckedIdentifier {
    public static let identifierKind = IdentifierKind.unifiedSocialCreditCode

    /// The 31 symbols, in value order 0–30; I, O, S, V and Z are not used.
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// 3^(i−1) mod 31 for positions 1...17.
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The 18 upper-case characters.
    public let text: String

    /// Validates format and the check character only. The embedded organization code's own check is not required:
    /// it is not part of GB 32100, and ``organizationCode`` reports it instead.
    public init(_ raw: String) throws(IdentifierError) {
        let characters = IdentifierText.normalized(raw)
        guard !characters.isEmpty else { throw .badFormat(.unifiedSocialCreditCode, .empty) }
        guard characters.count == 18 else {
            throw .badFormat(.unifiedSocialCreditCode, .wrongLength(expected: 18, actual: characters.count))
        }
        try IdentifierText.requireAll(
            characters,
            startingAt: 1,
            allowed: .creditCodeAlphabet,
            kind: .unifiedSocialCreditCode
        ) { Self.value(of: $0) != nil }
        // GB 32100 prints the registering office's region as digits; letters there mean a mangled code even when
        // they belong to the alphabet.
        try IdentifierText.requireAll(
            characters[2..<8],
            startingAt: 3,
            allowed: .digits,
            kind: .unifiedSocialCreditCode
        ) { IdentifierText.digitValue($0) != nil }
        let expected = Self.check(forBody: characters[0..<17])
        guard characters[17] == expected else { throw .badChecksum(.unifiedSocialCreditCode, expected: expected) }
        self.text = String(characters)
    }

    /// The check character for the first 17 characters, e.g. `91350100M000100Y4` → `3`.
    public static func checkCharacter(forFirst17 body: String) throws(IdentifierError) -> Character {
        let characters = IdentifierText.normalized(body)
        guard characters.count == 17 else {
            throw .badFormat(.unifiedSocialCreditCode, .wrongLength(expected: 17, actual: characters.count))
        }
        try IdentifierText.requireAll(
            characters,
            startingAt: 1,
            allowed: .creditCodeAlphabet,
            kind: .unifiedSocialCreditCode
        ) { value(of: $0) != nil }
        return check(forBody: characters)
    }

    /// 登记管理部门代码, e.g. `9` 工商, `5` 民政, `1` 机构编制.
    public var registrationAuthorityCode: Character { character(at: 0) }

    /// 机构类别代码, read together with the authority, e.g. `91` 企业, `92` 个体工商户.
    public var categoryCode: Character { character(at: 1) }

    /// The six digits of positions 3–8, whatever they denote.
    public var regionDigits: String { String(text.dropFirst(2).prefix(6)) }

    /// The registering office's 行政区划代码, or `nil` when positions 3–8 are not a GB/T 2260-shaped code (central
    /// organs, for instance, are registered under 100000, which has no province).
    public var regionCode: RegionCode? { try? RegionCode(regionDigits) }

    /// 主体标识码 (positions 9–17) as a 组织机构代码, or `nil` when those characters fail GB 11714's own check, as in
    /// some codes issued during the pilot.
    public var organizationCode: OrganizationCode? { try? OrganizationCode(String(text.dropFirst(8).prefix(9))) }

    /// The 18th character.
    public var checkCharacter: Character { character(at: 17) }

    private func character(at offset: Int) -> Character {
        text.dropFirst(offset).first ?? "0"
    }

    private static func value(of character: Character) -> Int? {
        alphabet.firstIndex(of: character)
    }

    /// Callers have already ensured 17 characters of the alphabet.
    private static func check(forBody body: some Collection<Character>) -> Character {
        let sum = zip(body, weights).reduce(0) { sum, pair in
            sum + (value(of: pair.0) ?? 0) * pair.1
        }
        return alphabet[(31 - sum % 31) % 31]
    }
}
