/// A six-digit 行政区划代码 (GB/T 2260): two digits each for province, prefecture and county.
///
/// Validation checks the shape only, not membership of a particular year's published table: codes change every
/// year and identifiers issued under retired codes stay valid.
public struct RegionCode: CheckedIdentifier, Comparable {
    public static let identifierKind = IdentifierKind.regionCode

    /// The province parts that exist: 11 北京 … 82 澳门.
    public static let provinceRange = 11...82

    /// The six digits.
    public let text: String

    /// The administrative tier a code denotes, inferred from its trailing zero pairs.
    public enum Level: String, Sendable, Hashable, Codable, CaseIterable {
        /// `XX0000`: 省级.
        case province
        /// `XXXX00`: 地级 (also the 市辖区 grouping of a municipality, e.g. 500100).
        case prefecture
        /// Anything else: 县级.
        case county
    }

    /// Validates the shape: six ASCII digits, a province part within 11...82, and no county part without a
    /// prefecture part (e.g. `340001`).
    public init(_ raw: String) throws(IdentifierError) {
        // Six ASCII digits with a plausible province and no `XX00YY` shape: the common case, checked on bytes.
        let canonical = IdentifierText.withBytes(raw) { bytes in
            guard bytes.count == 6, let number = IdentifierText.number(bytes, from: 0, count: 6) else { return false }
            let (province, prefecture, county) = (number / 10_000, number / 100 % 100, number % 100)
            return Self.provinceRange.contains(province) && !(prefecture == 0 && county != 0)
        }
        if canonical {
            self.text = raw
            return
        }
        let characters = IdentifierText.normalized(raw)
        try Self.checkDigitsAndProvince(characters, kind: .regionCode)
        let code = String(characters)
        if characters[2...3] == ["0", "0"] && characters[4...5] != ["0", "0"] {
            throw .badFormat(.regionCode, .countyWithoutPrefecture(code))
        }
        self.text = code
    }

    /// Builds a code from digits already checked by `checkDigitsAndProvince`. The structural rule against
    /// `XX00YY` is deliberately skipped: 公民身份号码 only needs a plausible province (see domain §5.1).
    init(checkedDigits text: String) {
        self.text = text
    }

    /// The checks every embedded region code gets, whichever identifier it sits in.
    static func checkDigitsAndProvince(
        _ characters: some Collection<Character>,
        kind: IdentifierKind,
        startingAt position: Int = 1
    ) throws(IdentifierError) {
        if characters.isEmpty && kind == .regionCode {
            throw .badFormat(kind, .empty)
        }
        if characters.count != 6 {
            throw .badFormat(kind, .wrongLength(expected: 6, actual: characters.count))
        }
        try IdentifierText.requireAll(characters, startingAt: position, allowed: .digits, kind: kind) {
            IdentifierText.digitValue($0) != nil
        }
        let province = String(characters.prefix(2))
        guard let number = Int(province), provinceRange.contains(number) else {
            throw .badFormat(kind, .provinceOutOfRange(province))
        }
    }

    public var level: Level {
        if text.hasSuffix("0000") { return .province }
        if text.hasSuffix("00") { return .prefecture }
        return .county
    }

    /// The province containing this code, e.g. 341502 → 340000.
    public var provinceCode: RegionCode {
        RegionCode(checkedDigits: text.prefix(2) + "0000")
    }

    /// The prefecture containing this code, e.g. 341502 → 341500; `nil` for a province, which lies above any
    /// prefecture, and for a code without a prefecture part.
    public var prefectureCode: RegionCode? {
        let prefecture = text.prefix(4)
        guard level != .province, !prefecture.hasSuffix("00") else { return nil }
        return RegionCode(checkedDigits: prefecture + "00")
    }

    /// Whether `other` lies within this code's jurisdiction (a code contains itself).
    ///
    /// Matches the significant digits only: 340000 contains every 34xxxx, 341500 every 3415xx, and a county only
    /// itself.
    public func contains(_ other: RegionCode) -> Bool {
        switch level {
        case .province: other.text.prefix(2) == text.prefix(2)
        case .prefecture: other.text.prefix(4) == text.prefix(4)
        case .county: other.text == text
        }
    }

    public static func < (lhs: RegionCode, rhs: RegionCode) -> Bool {
        lhs.text < rhs.text
    }
}
