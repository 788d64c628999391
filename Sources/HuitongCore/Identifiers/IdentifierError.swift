/// The national identifier schemes the platform checks.
public enum IdentifierKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// 公民身份号码, GB 11643-1999.
    case residentIDNumber
    /// 统一社会信用代码, GB 32100-2015.
    case unifiedSocialCreditCode
    /// 组织机构代码, GB 11714-1997.
    case organizationCode
    /// 行政区划代码, GB/T 2260.
    case regionCode
    /// 电子证照标识, GB/T 36904-2018.
    case licenceIdentifier

    public var displayName: BilingualText {
        switch self {
        case .residentIDNumber: BilingualText(zh: "公民身份号码", en: "resident ID number")
        case .unifiedSocialCreditCode: BilingualText(zh: "统一社会信用代码", en: "unified social credit code")
        case .organizationCode: BilingualText(zh: "组织机构代码", en: "organization code")
        case .regionCode: BilingualText(zh: "行政区划代码", en: "administrative region code")
        case .licenceIdentifier: BilingualText(zh: "电子证照标识", en: "e-licence identifier")
        }
    }
}

/// Why a string is not a valid identifier.
///
/// The three cases are kept apart because callers treat them differently: a bad checksum in ingested data is
/// flagged as a quality problem (some early pilot credit codes fail it) rather than dropped, while a bad format
/// usually means the wrong field or a typing error.
public enum IdentifierError: HuitongError, Equatable, Hashable {
    /// The text does not have the shape of the identifier: length, characters or structure.
    case badFormat(IdentifierKind, FormatProblem)
    /// The text is well formed but its check character does not match; `expected` is the one computed.
    case badChecksum(IdentifierKind, expected: Character)
    /// The birth date inside a 公民身份号码 (`text`, as `YYYYMMDD`) is not a real day or lies in the future.
    case badBirthDate(text: String, BirthDateProblem)

    /// A structural defect found before any checksum is computed.
    public enum FormatProblem: Sendable, Hashable {
        /// Nothing but whitespace was given.
        case empty
        /// Counted in characters, leaving out the optional hyphen of an organization code.
        case wrongLength(expected: Int, actual: Int)
        /// `position` is 1-based and counts characters of the input as given (after trimming whitespace).
        case invalidCharacter(Character, position: Int, allowed: AllowedCharacters)
        /// The first two digits of a region code are outside 11...82.
        case provinceOutOfRange(String)
        /// A region code whose prefecture part is `00` but whose county part is not, e.g. `340001`.
        case countyWithoutPrefecture(String)
        /// An organization code's hyphen is anywhere but between the 8-character body and the check character.
        case misplacedHyphen(position: Int)
        /// An e-licence identifier that does not begin with the root code.
        case wrongRoot(expected: String)
        /// An e-licence identifier with more or fewer segments after the root than the standard's five.
        case wrongSegmentCount(expected: Int, actual: Int)
        /// A segment of an e-licence identifier that does not have its form.
        case badSegment(LicenceIdentifierSegment, String)
    }

    /// The character set a position accepts, named so that the message can tell the user what to type.
    public enum AllowedCharacters: Sendable, Hashable {
        case digits
        case digitsOrX
        case digitsOrUppercaseLetters
        /// The 31 symbols of GB 32100: digits and upper-case letters except I, O, S, V and Z.
        case creditCodeAlphabet

        public var displayName: BilingualText {
            switch self {
            case .digits:
                BilingualText(zh: "数字 0–9", en: "a digit 0–9")
            case .digitsOrX:
                BilingualText(zh: "数字 0–9 或 X", en: "a digit 0–9 or X")
            case .digitsOrUppercaseLetters:
                BilingualText(zh: "数字或大写字母", en: "a digit or an upper-case letter")
            case .creditCodeAlphabet:
                BilingualText(
                    zh: "数字或除 I、O、S、V、Z 以外的大写字母",
                    en: "a digit or an upper-case letter other than I, O, S, V, Z"
                )
            }
        }
    }

    /// What is wrong with the birth-date part of a 公民身份号码.
    public enum BirthDateProblem: Sendable, Hashable {
        /// Such as month 13, 30 February, or 29 February in a common year.
        case notACalendarDate
        /// Later than the day of validation (China Standard Time unless the caller gave another "today").
        case inFuture
    }

    public var code: String {
        switch self {
        case .badFormat: "identifier_bad_format"
        case .badChecksum: "identifier_bad_checksum"
        case .badBirthDate: "identifier_bad_birth_date"
        }
    }

    public var kind: ErrorKind { .badInput }

    /// The identifier scheme that rejected the input.
    public var identifierKind: IdentifierKind {
        switch self {
        case .badFormat(let kind, _): kind
        case .badChecksum(let kind, _): kind
        case .badBirthDate: .residentIDNumber
        }
    }

    /// A sentence for the person who typed the value, e.g.
    /// "公民身份号码校验位错误，应为 X (resident ID number check character is wrong, expected X)".
    public var message: BilingualText {
        let name = identifierKind.displayName
        switch self {
        case .badFormat(_, let problem):
            return Self.message(for: problem, in: name)
        case .badChecksum(_, let expected):
            return BilingualText(
                zh: "\(name.zh)校验位错误，应为 \(expected)",
                en: "\(name.en) check character is wrong, expected \(expected)"
            )
        case .badBirthDate(let text, .notACalendarDate):
            return BilingualText(
                zh: "\(name.zh)中的出生日期 \(text) 不是有效日期",
                en: "birth date \(text) in the \(name.en) is not a real calendar date"
            )
        case .badBirthDate(let text, .inFuture):
            return BilingualText(
                zh: "\(name.zh)中的出生日期 \(text) 晚于今天",
                en: "birth date \(text) in the \(name.en) is in the future"
            )
        }
    }

    private static func message(for problem: FormatProblem, in name: BilingualText) -> BilingualText {
        switch problem {
        case .empty:
            return BilingualText(zh: "\(name.zh)不能为空", en: "\(name.en) must not be empty")
        case .wrongLength(let expected, let actual):
            return BilingualText(
                zh: "\(name.zh)应为 \(expected) 位，实际为 \(actual) 位",
                en: "\(name.en) must have \(expected) characters, got \(actual)"
            )
        case .invalidCharacter(let character, let position, let allowed):
            let shown = IdentifierText.printable(character)
            return BilingualText(
                zh: "\(name.zh)第 \(position) 位的字符“\(shown)”无效，应为\(allowed.displayName.zh)",
                en: "\(name.en): character \"\(shown)\" at position \(position) is invalid; "
                    + "expected \(allowed.displayName.en)"
            )
        case .provinceOutOfRange(let province):
            return BilingualText(
                zh: "\(name.zh)的省级代码 \(province) 不在 11–82 范围内",
                en: "\(name.en): province code \(province) is outside 11–82"
            )
        case .countyWithoutPrefecture(let code):
            return BilingualText(
                zh: "\(name.zh) \(code) 的地级部分为 00，县级部分却不为 00",
                en: "\(name.en) \(code) has a county part but no prefecture part"
            )
        case .misplacedHyphen(let position):
            return BilingualText(
                zh: "\(name.zh)第 \(position) 位的连字符位置错误，只能位于第 8 位之后",
                en: "\(name.en): the hyphen at position \(position) is misplaced; it may only follow the 8th character"
            )
        case .wrongRoot(let root):
            return BilingualText(
                zh: "\(name.zh)应以根代码 \(root). 开头", en: "\(name.en) must begin with the root code \(root).")
        case .wrongSegmentCount(let expected, let actual):
            return BilingualText(
                zh: "\(name.zh)在根代码之后应有 \(expected) 段（类型代码.颁发机构代码.流水号.版本号.校验位），实际为 \(actual) 段",
                en:
                    "\(name.en) must have \(expected) segments after the root (type.issuer.serial.version.check), got \(actual)"
            )
        case .badSegment(let segment, let value):
            return BilingualText(
                zh: "\(name.zh)的\(segment.label.zh)“\(value)”无效，应为\(segment.expected.zh)",
                en: "\(name.en): \(segment.label.en) \"\(value)\" is invalid; expected \(segment.expected.en)")
        }
    }
}

extension IdentifierError: CustomStringConvertible {
    public var description: String { message.combined }
}
