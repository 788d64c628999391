/// An 18-character 公民身份号码 (GB 11643-1999): address code, birth date, sequence number, check character.
public struct ResidentIDNumber: CheckedIdentifier {
    public static let identifierKind = IdentifierKind.residentIDNumber

    /// ISO 7064 MOD 11-2 weights, 2^(18−i) mod 11 for positions 1...17.
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    /// Check character indexed by the weighted sum mod 11.
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The 18 characters, with a final `x` upper-cased.
    public let text: String
    /// 地址码: the county where the number was first issued. It may have been retired since, so it is checked
    /// for shape and province only and may not satisfy every rule of ``RegionCode/init(_:)``.
    public let regionCode: RegionCode
    /// 出生日期.
    public let birthDate: CalendarDate

    /// The sex recorded by the parity of the 17th digit.
    public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
        case male
        case female

        public var displayName: BilingualText {
            switch self {
            case .male: BilingualText(zh: "男", en: "male")
            case .female: BilingualText(zh: "女", en: "female")
            }
        }
    }

    /// Validates against today's date in China Standard Time.
    public init(_ raw: String) throws(IdentifierError) {
        try self.init(raw, today: .today())
    }

    /// Validates `raw`, rejecting birth dates after `today`. A lower-case `x` check character is accepted.
    ///
    /// Checks run in order: length and characters, province, birth date, check character. A mistyped birth-date
    /// digit therefore reports ``IdentifierError/badBirthDate(text:_:)`` when it makes an impossible date.
    public init(_ raw: String, today: CalendarDate) throws(IdentifierError) {
        if let valid = Self.validatedQuickly(raw, today: today) {
            self = valid
            return
        }
        let characters = IdentifierText.normalized(raw)
        guard !characters.isEmpty else { throw .badFormat(.residentIDNumber, .empty) }
        guard characters.count == 18 else {
            throw .badFormat(.residentIDNumber, .wrongLength(expected: 18, actual: characters.count))
        }
        let body = characters[0..<17]
        try IdentifierText.requireAll(body, startingAt: 1, allowed: .digits, kind: .residentIDNumber) {
            IdentifierText.digitValue($0) != nil
        }
        let given = characters[17]
        if IdentifierText.digitValue(given) == nil && given != "X" {
            throw .badFormat(.residentIDNumber, .invalidCharacter(given, position: 18, allowed: .digitsOrX))
        }
        try RegionCode.checkDigitsAndProvince(characters[0..<6], kind: .residentIDNumber)
        let birthDate = try Self.birthDate(from: characters[6..<14], today: today)
        let expected = Self.check(forDigits: body)
        guard given == expected else { throw .badChecksum(.residentIDNumber, expected: expected) }

        self.text = String(characters)
        self.regionCode = RegionCode(checkedDigits: String(characters[0..<6]))
        self.birthDate = birthDate
    }

    private init(text: String, regionCode: RegionCode, birthDate: CalendarDate) {
        self.text = text
        self.regionCode = regionCode
        self.birthDate = birthDate
    }

    /// The same checks over the bytes of a number already in canonical form (18 ASCII characters, no spaces);
    /// nil for anything else, which then takes the full path and gets its precise error.
    private static func validatedQuickly(_ raw: String, today: CalendarDate) -> ResidentIDNumber? {
        IdentifierText.withBytes(raw) { bytes -> ResidentIDNumber? in
            guard bytes.count == 18 else { return nil }
            var sum = 0
            for index in 0..<17 {
                let digit = bytes[index] &- 48
                guard digit < 10 else { return nil }
                sum += Int(digit) * weights[index]
            }
            let expected = checkBytes[sum % 11]
            let given = bytes[17] == UInt8(ascii: "x") ? UInt8(ascii: "X") : bytes[17]
            guard given == expected,
                let province = IdentifierText.number(bytes, from: 0, count: 2),
                RegionCode.provinceRange.contains(province),
                let year = IdentifierText.number(bytes, from: 6, count: 4),
                let month = IdentifierText.number(bytes, from: 10, count: 2),
                let day = IdentifierText.number(bytes, from: 12, count: 2),
                let birthDate = CalendarDate(year: year, month: month, day: day), birthDate <= today
            else { return nil }
            let text = bytes[17] == UInt8(ascii: "x") ? raw.uppercased() : raw
            return ResidentIDNumber(
                text: text, regionCode: RegionCode(checkedDigits: String(text.utf8.prefix(6))!),
                birthDate: birthDate)
        }
    }

    private static let checkBytes: [UInt8] = checkCharacters.map { $0.asciiValue! }

    /// Validates without throwing, against the given `today`.
    public static func validate(_ raw: String, today: CalendarDate) -> IdentifierValidation<ResidentIDNumber> {
        IdentifierValidation { () throws(IdentifierError) in try ResidentIDNumber(raw, today: today) }
    }

    /// Converts a 15-digit number issued before 1999 (address, `YYMMDD`, sequence; no check character) by putting
    /// "19" before the year and appending the check character, then validates the result.
    public static func upgradeLegacy(
        _ fifteen: String,
        today: CalendarDate = .today()
    ) throws(IdentifierError) -> ResidentIDNumber {
        let characters = IdentifierText.normalized(fifteen)
        guard !characters.isEmpty else { throw .badFormat(.residentIDNumber, .empty) }
        guard characters.count == 15 else {
            throw .badFormat(.residentIDNumber, .wrongLength(expected: 15, actual: characters.count))
        }
        try IdentifierText.requireAll(characters, startingAt: 1, allowed: .digits, kind: .residentIDNumber) {
            IdentifierText.digitValue($0) != nil
        }
        let body = Array(characters[0..<6]) + ["1", "9"] + Array(characters[6..<15])
        return try ResidentIDNumber(String(body + [check(forDigits: body)]), today: today)
    }

    /// The check character for the first 17 digits, e.g. `11010519491231002` → `X`.
    public static func checkCharacter(forFirst17 body: String) throws(IdentifierError) -> Character {
        let characters = Array(body)
        guard characters.count == 17 else {
            throw .badFormat(.residentIDNumber, .wrongLength(expected: 17, actual: characters.count))
        }
        try IdentifierText.requireAll(characters, startingAt: 1, allowed: .digits, kind: .residentIDNumber) {
            IdentifierText.digitValue($0) != nil
        }
        return check(forDigits: characters)
    }

    /// 顺序码 (positions 15–17): distinguishes people of the same place and birth date.
    public var sequenceNumber: String { String(text.dropFirst(14).prefix(3)) }

    /// Odd 17th digit for men, even for women.
    public var sex: Sex {
        let seventeenth = text.dropFirst(16).first.flatMap(IdentifierText.digitValue) ?? 0
        return seventeenth % 2 == 1 ? .male : .female
    }

    /// The 18th character, `0`–`9` or `X`.
    public var checkCharacter: Character { text.last ?? "0" }

    /// Callers have already ensured 17 ASCII digits.
    private static func check(forDigits body: some Collection<Character>) -> Character {
        let sum = zip(body, weights).reduce(0) { sum, pair in
            sum + (IdentifierText.digitValue(pair.0) ?? 0) * pair.1
        }
        return checkCharacters[sum % 11]
    }

    private static func birthDate(
        from digits: some Collection<Character>,
        today: CalendarDate
    ) throws(IdentifierError) -> CalendarDate {
        let text = String(digits)
        guard let date = CalendarDate(compact: text) else {
            throw .badBirthDate(text: text, .notACalendarDate)
        }
        guard date <= today else { throw .badBirthDate(text: text, .inFuture) }
        return date
    }
}
