import Foundation

/// Whether one value looks like a given semantic kind: the real validators for identifiers, Luhn for bank cards and
/// patterns for the rest. Shared by the column classifier (which counts matches over a sample) and by quality rules
/// (which check every value of an item declared to be of that kind).
public struct ValueRecognizer: Sendable {
    /// Rejects 身份证号 birth dates after this day.
    public let today: CalendarDate

    public init(today: CalendarDate = .today()) {
        self.today = today
    }

    /// Kinds with a definite check: a value either is or is not one. Names and addresses are only guessed at, so a
    /// quality rule never fails a value for not looking like one.
    public static let checkableKinds: Set<SemanticKind> = [
        .residentID, .creditCode, .regionCode, .mobilePhone, .landline, .bankCard, .email, .licensePlate,
    ]

    /// Whether `value` (already trimmed, not empty) is a well-formed value of `kind`.
    public func matches(_ value: String, as kind: SemanticKind) -> Bool {
        switch kind {
        case .residentID: ResidentIDNumber.validate(value, today: today).isValid
        case .creditCode: UnifiedSocialCreditCode.validate(value).isValid
        case .regionCode:
            RegionCode.validate(value).isValid && Self.provinces.contains(String(value.utf8.prefix(2)) ?? "")
        case .mobilePhone: Self.isMobilePhone(value)
        case .landline: Self.isLandline(value)
        case .personName: Self.isPersonName(value)
        case .address: Self.isAddress(value)
        case .bankCard: Self.isBankCard(value)
        case .email: Self.isEmail(value)
        case .licensePlate: Self.isLicensePlate(value)
        case .other: false
        }
    }

    /// The province parts in use (GB/T 2260 plus 台湾, 香港, 澳门). `RegionCode` accepts the whole 11–82 span; a
    /// column of arbitrary six-digit numbers falls inside that span too often to tell it from region codes.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
        "44",
        "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ]

    /// 11 digits, `1` then `3`–`9`: the form row validation accepts on ingest.
    static func isMobilePhone(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        return bytes.count == 11 && bytes[0] == UInt8(ascii: "1")
            && (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[1]) && bytes.allSatisfy(isDigit)
    }

    /// An area code (`0` and 2–3 more digits, optionally in brackets or followed by `-`), then a 7–8 digit number
    /// not starting with 0 or 1, then optionally `-` or `转` and an extension: 0564-3312345, (010)88886666.
    static func isLandline(_ value: String) -> Bool {
        var text = Substring(value)
        if text.hasPrefix("(") || text.hasPrefix("（") {
            text = text.dropFirst()
            guard let close = text.firstIndex(where: { $0 == ")" || $0 == "）" }) else { return false }
            let area = text[..<close]
            guard (3...4).contains(area.count), area.first == "0", area.allSatisfy(\.isASCIIDigit) else { return false }
            text = text[text.index(after: close)...]
            return isSubscriberNumber(text)
        }
        let areaDigits = text.prefix { $0.isASCIIDigit }
        guard areaDigits.first == "0" else { return false }
        var rest = text.dropFirst(areaDigits.count)
        if rest.hasPrefix("-") || rest.hasPrefix(" ") {
            guard (3...4).contains(areaDigits.count) else { return false }
            rest = rest.dropFirst()
            return isSubscriberNumber(rest)
        }
        // Written without a separator: the area code is 3 digits for 010 and 02x, 4 otherwise.
        let areaLength = areaDigits.dropFirst().first == "1" || areaDigits.dropFirst().first == "2" ? 3 : 4
        guard areaDigits.count > areaLength else { return false }
        return isSubscriberNumber(text.dropFirst(areaLength))
    }

    private static func isSubscriberNumber(_ text: Substring) -> Bool {
        let number = text.prefix { $0.isASCIIDigit }
        guard (7...8).contains(number.count), let first = number.first, first != "0", first != "1" else { return false }
        var rest = text.dropFirst(number.count)
        if rest.isEmpty { return true }
        guard rest.first == "-" || rest.first == "转" else { return false }
        rest = rest.dropFirst()
        return (1...6).contains(rest.count) && rest.allSatisfy(\.isASCIIDigit)
    }

    /// 16–19 digits, optionally grouped by spaces or hyphens, passing the Luhn check; 中国银联 cards are 16–19.
    static func isBankCard(_ value: String) -> Bool {
        var digits: [Int] = []
        for byte in value.utf8 {
            if isDigit(byte) {
                digits.append(Int(byte - UInt8(ascii: "0")))
            } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
                return false
            }
        }
        guard (16...19).contains(digits.count) else { return false }
        return luhnValid(digits)
    }

    /// The Luhn (mod 10) check: doubling every second digit from the right, the digit sum is a multiple of 10.
    public static func luhnValid(_ digits: [Int]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            if offset % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    /// `local@domain.tld` in ASCII, with at least one dot in the domain and letters in its last label.
    static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty, local.count <= 64
        else { return false }
        let localAllowed = local.utf8.allSatisfy { byte in
            isDigit(byte) || isLetter(byte) || "._%+-".utf8.contains(byte)
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard localAllowed, labels.count >= 2, let top = labels.last, top.count >= 2,
            top.utf8.allSatisfy(isLetter)
        else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "-") }
        }
    }

    /// The one-character province abbreviations that open a 机动车号牌.
    static let plateProvinces: Set<Character> = Set("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")

    /// Province abbreviation, an issuing-authority letter, then 5 (ordinary) or 6 (new-energy) letters and digits.
    static func isLicensePlate(_ value: String) -> Bool {
        let characters = Array(value.uppercased().filter { $0 != "·" && $0 != "•" && $0 != " " })
        guard (7...8).contains(characters.count), plateProvinces.contains(characters[0]),
            let authority = characters[1].asciiValue, isLetter(authority)
        else { return false }
        return characters.dropFirst(2).allSatisfy { character in
            guard let ascii = character.asciiValue else { return false }
            return isDigit(ascii) || isLetter(ascii)
        }
    }

    /// 2–4 Han characters opening with a common surname (one or two characters), or a transliterated name of Han
    /// segments joined by a middle dot (阿卜杜·热合曼), which carries no Han surname.
    static func isPersonName(_ value: String) -> Bool {
        let separators: Set<Character> = ["·", "•", "・", "."]
        if value.contains(where: { separators.contains($0) }) {
            let segments = value.split(omittingEmptySubsequences: false, whereSeparator: { separators.contains($0) })
            return segments.count >= 2 && value.count <= 20
                && segments.allSatisfy { segment in !segment.isEmpty && segment.allSatisfy { $0.isHan } }
        }
        guard (2...4).contains(value.count), value.allSatisfy(\.isHan) else { return false }
        if let first = value.first, ChineseSurnames.single.contains(first) { return true }
        return value.count >= 3 && ChineseSurnames.compound.contains(String(value.prefix(2)))
    }

    /// Places and the parts of a street address; an address names at least two of them (市 alone also ends 超市).
    static let addressMarkers: [String] = [
        "省", "自治区", "市", "区", "县", "旗", "镇", "乡", "街道", "路", "街", "巷", "号", "村", "组", "栋", "室",
    ]

    /// Mostly Han text of at least 6 characters holding two or more different address markers.
    static func isAddress(_ value: String) -> Bool {
        guard value.count >= 6, value.count <= 200 else { return false }
        let han = value.reduce(0) { $0 + ($1.isHan ? 1 : 0) }
        guard han * 2 >= value.count else { return false }
        return addressMarkers.reduce(0) { $0 + (value.contains($1) ? 1 : 0) } >= 2
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}

/// Common Chinese surnames (百家姓 as used today: the most frequent single ones and the compound ones still met).
/// Seed-like data: a name whose surname is missing here is merely not counted towards the 姓名 guess.
enum ChineseSurnames {
    static let single: Set<Character> = Set(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    )
    static let compound: Set<String> = [
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "夏侯", "令狐", "宇文", "长孙", "司徒", "端木",
        "西门", "独孤", "南宫", "呼延", "澹台",
    ]
}

extension Character {
    /// Whether this is a CJK unified ideograph (basic block or extension A), the script of Chinese names and places.
    var isHan: Bool {
        guard let scalar = unicodeScalars.first, unicodeScalars.count == 1 else { return false }
        return (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
    }
}
