/// 电子证照标识 (GB/T 36904-2018): `1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>`.
///
/// - 证照类型代码: the defining department's 统一社会信用代码 and a three-digit sequence (21 characters), e.g.
///   `11100000000013338W011`;
/// - 颁发机构代码: the issuer's code — its 统一社会信用代码, or (in some provinces' early licences) a region code;
/// - 流水号: the issuer's serial, digits and upper-case letters;
/// - 版本号: three digits, `001` for the first version, one more for each 变更;
/// - 校验位: ISO/IEC 7064 MOD 37,36 over the four segments before it, joined without dots.
///
/// A new version of a licence keeps its type, issuer and serial; only the version and the check character change.
public struct LicenceIdentifier: CheckedIdentifier, Comparable {
    public static let identifierKind = IdentifierKind.licenceIdentifier
    /// 电子证照根代码.
    public static let root = "1.2.156.3005.2"
    /// The 36 symbols of the check, in value order.
    static let alphabet: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    public let text: String
    public let typeCode: String
    public let issuerCode: String
    public let serial: String
    public let version: Int

    public init(_ raw: String) throws(IdentifierError) {
        let characters = IdentifierText.normalized(raw)
        guard !characters.isEmpty else { throw .badFormat(.licenceIdentifier, .empty) }
        let text = String(characters)
        guard text.hasPrefix(Self.root + ".") else {
            throw .badFormat(.licenceIdentifier, .wrongRoot(expected: Self.root))
        }
        let segments = text.dropFirst(Self.root.count + 1).split(separator: ".", omittingEmptySubsequences: false)
            .map(String.init)
        guard segments.count == 5 else {
            throw .badFormat(.licenceIdentifier, .wrongSegmentCount(expected: 5, actual: segments.count))
        }
        let (typeCode, issuer, serial, version, check) = (
            segments[0], segments[1], segments[2], segments[3], segments[4]
        )
        try Self.checkSegments(typeCode: typeCode, issuer: issuer, serial: serial, version: version)
        guard check.count == 1, let given = check.first, Self.alphabet.contains(given) else {
            throw .badFormat(.licenceIdentifier, .badSegment(.check, check))
        }
        let expected = Self.checkCharacter(for: typeCode + issuer + serial + version)
        guard given == expected else { throw .badChecksum(.licenceIdentifier, expected: expected) }
        self.text = text
        self.typeCode = typeCode
        self.issuerCode = issuer
        self.serial = serial
        self.version = Int(version) ?? 1
    }

    /// The identifier of version `version` (1–999) of a licence, with its check character.
    public init(typeCode: String, issuerCode: String, serial: String, version: Int) throws(IdentifierError) {
        guard (1...999).contains(version) else {
            throw .badFormat(.licenceIdentifier, .badSegment(.version, String(version)))
        }
        let versionText = String(repeating: "0", count: 3 - String(version).count) + String(version)
        let body = [typeCode, issuerCode, serial, versionText].map { String(IdentifierText.normalized($0)) }
        try Self.checkSegments(typeCode: body[0], issuer: body[1], serial: body[2], version: body[3])
        let check = Self.checkCharacter(for: body.joined())
        try self.init(([Self.root] + body + [String(check)]).joined(separator: "."))
    }

    /// The identifier of the next version (after a 变更), which invalidates this one.
    public func nextVersion() throws(IdentifierError) -> LicenceIdentifier {
        try LicenceIdentifier(typeCode: typeCode, issuerCode: issuerCode, serial: serial, version: version + 1)
    }

    /// The 统一社会信用代码 of the department that defined the licence type (the type code's first 18 characters).
    public var definerCode: String { String(typeCode.prefix(18)) }

    public static func < (lhs: LicenceIdentifier, rhs: LicenceIdentifier) -> Bool { lhs.text < rhs.text }

    /// ISO/IEC 7064 MOD 37,36 over `body` (digits and upper-case letters only).
    static func checkCharacter(for body: String) -> Character {
        var product = 36
        for character in body {
            let value = IdentifierText.alphanumericValue(character) ?? 0
            var sum = (product + value) % 36
            if sum == 0 { sum = 36 }
            product = (2 * sum) % 37
        }
        return alphabet[(37 - product) % 36]
    }

    /// Whether `text` is a 证照类型代码: a valid 统一社会信用代码 of the definer and three digits.
    public static func isTypeCode(_ text: String) -> Bool {
        text.count == 21 && text.suffix(3).allSatisfy(\.isASCIIDigit)
            && (try? UnifiedSocialCreditCode(String(text.prefix(18)))) != nil
    }

    private static func checkSegments(typeCode: String, issuer: String, serial: String, version: String)
        throws(IdentifierError)
    {
        func alphanumeric(_ text: String) -> Bool {
            !text.isEmpty && text.allSatisfy { IdentifierText.alphanumericValue($0) != nil }
        }
        guard isTypeCode(typeCode) else { throw .badFormat(.licenceIdentifier, .badSegment(.typeCode, typeCode)) }
        guard alphanumeric(issuer), issuer.count <= 32 else {
            throw .badFormat(.licenceIdentifier, .badSegment(.issuer, issuer))
        }
        if issuer.count == 18, (try? UnifiedSocialCreditCode(issuer)) == nil {
            throw .badFormat(.licenceIdentifier, .badSegment(.issuer, issuer))
        }
        guard alphanumeric(serial), serial.count <= 64 else {
            throw .badFormat(.licenceIdentifier, .badSegment(.serial, serial))
        }
        guard version.count == 3, version.allSatisfy(\.isASCIIDigit), version != "000" else {
            throw .badFormat(.licenceIdentifier, .badSegment(.version, version))
        }
    }
}

/// The parts of an e-licence identifier, named in errors.
public enum LicenceIdentifierSegment: String, Sendable, Hashable {
    case typeCode, issuer, serial, version, check

    public var label: BilingualText {
        switch self {
        case .typeCode: BilingualText(zh: "证照类型代码", en: "licence type code")
        case .issuer: BilingualText(zh: "颁发机构代码", en: "issuer code")
        case .serial: BilingualText(zh: "流水号", en: "serial number")
        case .version: BilingualText(zh: "版本号", en: "version")
        case .check: BilingualText(zh: "校验位", en: "check character")
        }
    }

    /// What the segment must look like.
    public var expected: BilingualText {
        switch self {
        case .typeCode:
            BilingualText(
                zh: "定义部门的统一社会信用代码加 3 位序号，共 21 位",
                en: "the defining department's unified social credit code and a 3-digit sequence, 21 characters")
        case .issuer:
            BilingualText(
                zh: "颁发机构的统一社会信用代码（或行政区划代码），数字或大写字母",
                en: "the issuer's unified social credit code (or region code), digits or upper-case letters")
        case .serial: BilingualText(zh: "数字或大写字母，至多 64 位", en: "digits or upper-case letters, at most 64")
        case .version: BilingualText(zh: "3 位数字，自 001 起", en: "3 digits from 001")
        case .check: BilingualText(zh: "1 位数字或大写字母", en: "one digit or upper-case letter")
        }
    }
}
