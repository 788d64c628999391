import Foundation
import HuitongCore
import Testing

/// A fixed "today" so that future-birth-date checks do not depend on when the tests run.
private let today = CalendarDate(year: 2025, month: 6, day: 1)!

/// Builds an 18-character ID number around `birthDate` with a correct check character, so that only the birth date
/// can be wrong.
private func idNumber(region: String = "110105", birthDate: String, sequence: String = "002") throws -> String {
    let body = region + birthDate + sequence
    return body + String(try ResidentIDNumber.checkCharacter(forFirst17: body))
}

@Suite("公民身份号码 ResidentIDNumber")
struct ResidentIDNumberTests {
    @Test("standard example 11010519491231002X")
    func standardExample() throws {
        let id = try ResidentIDNumber("11010519491231002X", today: today)
        #expect(id.text == "11010519491231002X")
        #expect(id.regionCode.text == "110105")
        #expect(id.birthDate == CalendarDate(year: 1949, month: 12, day: 31))
        #expect(id.sequenceNumber == "002")
        #expect(id.sex == .female)
        #expect(id.checkCharacter == "X")
    }

    @Test("second example 440524188001010014")
    func secondExample() throws {
        let id = try ResidentIDNumber("440524188001010014", today: today)
        #expect(id.regionCode.text == "440524")
        #expect(id.birthDate == CalendarDate(year: 1880, month: 1, day: 1))
        #expect(id.sex == .male)
        #expect(id.checkCharacter == "4")
    }

    @Test func checkCharacterForFirst17() throws {
        #expect(try ResidentIDNumber.checkCharacter(forFirst17: "11010519491231002") == "X")
        #expect(try ResidentIDNumber.checkCharacter(forFirst17: "44052418800101001") == "4")
        #expect(throws: IdentifierError.badFormat(.residentIDNumber, .wrongLength(expected: 17, actual: 16))) {
            try ResidentIDNumber.checkCharacter(forFirst17: "1101051949123100")
        }
    }

    @Test("lower-case x is accepted and upper-cased")
    func lowercaseX() throws {
        let id = try ResidentIDNumber("11010519491231002x", today: today)
        #expect(id.text == "11010519491231002X")
        #expect(id == (try ResidentIDNumber("11010519491231002X", today: today)))
    }

    @Test func surroundingWhitespaceIsIgnored() throws {
        #expect(try ResidentIDNumber(" 11010519491231002X\n", today: today).text == "11010519491231002X")
    }

    @Test func wrongCheckCharacter() {
        #expect(
            ResidentIDNumber.validate("110105194912310021", today: today)
                == .invalid(.badChecksum(.residentIDNumber, expected: "X"))
        )
        #expect(
            ResidentIDNumber.validate("44052418800101001X", today: today)
                == .invalid(.badChecksum(.residentIDNumber, expected: "4"))
        )
    }

    @Test(
        "impossible birth dates",
        arguments: [
            "19490230",  // 30 February
            "19491301",  // month 13
            "19490001",  // month 0
            "19490100",  // day 0
            "19490431",  // 31 April
            "19000229",  // 1900 is not a leap year (century not divisible by 400)
            "20230229",  // 2023 is not a leap year
            "00000101",  // year 0
        ]
    )
    func impossibleBirthDate(birthDate: String) throws {
        let raw = try idNumber(birthDate: birthDate)
        #expect(
            ResidentIDNumber.validate(raw, today: today)
                == .invalid(.badBirthDate(text: birthDate, .notACalendarDate))
        )
    }

    @Test("leap days in leap years are accepted", arguments: ["20000229", "20240229", "19960229"])
    func leapDay(birthDate: String) throws {
        let id = try ResidentIDNumber(try idNumber(birthDate: birthDate), today: today)
        #expect(id.birthDate.compactText == birthDate)
    }

    @Test func futureBirthDate() throws {
        let tomorrow = try idNumber(birthDate: "20250602")
        #expect(
            ResidentIDNumber.validate(tomorrow, today: today)
                == .invalid(.badBirthDate(text: "20250602", .inFuture))
        )
        let farFuture = try idNumber(birthDate: "20990101")
        #expect(ResidentIDNumber.validate(farFuture, today: today).error == .badBirthDate(text: "20990101", .inFuture))
        // Born today is fine.
        #expect(ResidentIDNumber.validate(try idNumber(birthDate: "20250601"), today: today).isValid)
    }

    @Test func validationAgainstTheRealClock() throws {
        #expect(try ResidentIDNumber("11010519491231002X").birthDate.year == 1949)
        #expect(throws: IdentifierError.badBirthDate(text: "99991231", .inFuture)) {
            try ResidentIDNumber(try idNumber(birthDate: "99991231"))
        }
    }

    @Test func badFormats() throws {
        func error(_ raw: String) -> IdentifierError? { ResidentIDNumber.validate(raw, today: today).error }

        #expect(error("") == .badFormat(.residentIDNumber, .empty))
        #expect(error("   ") == .badFormat(.residentIDNumber, .empty))
        #expect(error("1101051949123100") == .badFormat(.residentIDNumber, .wrongLength(expected: 18, actual: 16)))
        #expect(
            error("11010519491231002X1") == .badFormat(.residentIDNumber, .wrongLength(expected: 18, actual: 19))
        )
        #expect(
            error("1101051949123100AX")
                == .badFormat(.residentIDNumber, .invalidCharacter("A", position: 17, allowed: .digits))
        )
        #expect(
            error("11010519491231002Y")
                == .badFormat(.residentIDNumber, .invalidCharacter("Y", position: 18, allowed: .digitsOrX))
        )
        // Full-width digits look right on screen but are not ASCII.
        #expect(
            error("１1010519491231002X")
                == .badFormat(.residentIDNumber, .invalidCharacter("１", position: 1, allowed: .digits))
        )
        #expect(
            error("-1010519491231002X")
                == .badFormat(.residentIDNumber, .invalidCharacter("-", position: 1, allowed: .digits))
        )
    }

    @Test("province prefix must be within 11...82", arguments: ["000000", "100101", "830101", "990101"])
    func implausibleProvince(region: String) throws {
        let raw = try idNumber(region: region, birthDate: "19800101")
        #expect(
            ResidentIDNumber.validate(raw, today: today)
                == .invalid(.badFormat(.residentIDNumber, .provinceOutOfRange(String(region.prefix(2)))))
        )
    }

    @Test("retired or unusual address codes are accepted when the province is plausible")
    func retiredRegionCodes() throws {
        // 110104 was 宣武区 until 2010; a province-level or XX00YY address code is unusual but not rejected.
        for region in ["110104", "820000", "110001"] {
            let id = try ResidentIDNumber(try idNumber(region: region, birthDate: "19800101"), today: today)
            #expect(id.regionCode.text == region)
        }
    }

    @Test("legacy 15-digit number is upgraded")
    func legacyUpgrade() throws {
        let id = try ResidentIDNumber.upgradeLegacy("110105491231002", today: today)
        #expect(id.text == "11010519491231002X")
        #expect(id.birthDate == CalendarDate(year: 1949, month: 12, day: 31))
        #expect(try ResidentIDNumber.upgradeLegacy("440524800101001", today: today).text == "440524198001010013")
    }

    @Test func legacyUpgradeRejectsBadInput() {
        #expect(throws: IdentifierError.badFormat(.residentIDNumber, .wrongLength(expected: 15, actual: 18))) {
            try ResidentIDNumber.upgradeLegacy("11010519491231002X", today: today)
        }
        #expect(
            throws: IdentifierError.badFormat(
                .residentIDNumber,
                .invalidCharacter("X", position: 15, allowed: .digits)
            )
        ) {
            try ResidentIDNumber.upgradeLegacy("11010549123100X", today: today)
        }
        #expect(throws: IdentifierError.badBirthDate(text: "19490230", .notACalendarDate)) {
            try ResidentIDNumber.upgradeLegacy("110105490230002", today: today)
        }
        #expect(throws: IdentifierError.badFormat(.residentIDNumber, .provinceOutOfRange("99"))) {
            try ResidentIDNumber.upgradeLegacy("990105491231002", today: today)
        }
    }

    @Test func codableAsString() throws {
        let id = try ResidentIDNumber("11010519491231002x", today: today)
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == #"["11010519491231002X"]"#)
        #expect(try JSONDecoder().decode([ResidentIDNumber].self, from: json) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ResidentIDNumber].self, from: Data(#"["110105194912310021"]"#.utf8))
        }
    }

    @Test func messagesAreBilingual() throws {
        let checksum = try #require(ResidentIDNumber.validate("110105194912310021", today: today).error)
        #expect(
            checksum.message.combined
                == "公民身份号码校验位错误，应为 X (resident ID number check character is wrong, expected X)"
        )
        #expect(checksum.code == "identifier_bad_checksum")
        #expect(checksum.kind == .badInput)

        let birth = IdentifierError.badBirthDate(text: "19490230", .notACalendarDate)
        #expect(birth.message.zh == "公民身份号码中的出生日期 19490230 不是有效日期")
        #expect(birth.message.en == "birth date 19490230 in the resident ID number is not a real calendar date")
        #expect(IdentifierError.badBirthDate(text: "20990101", .inFuture).message.zh.contains("晚于今天"))

        let length = IdentifierError.badFormat(.residentIDNumber, .wrongLength(expected: 18, actual: 16))
        #expect(length.description == "公民身份号码应为 18 位，实际为 16 位 (resident ID number must have 18 characters, got 16)")

        let tab = IdentifierError.badFormat(.residentIDNumber, .invalidCharacter("\t", position: 3, allowed: .digits))
        #expect(tab.message.zh == "公民身份号码第 3 位的字符“U+9”无效，应为数字 0–9")
    }
}

@Suite("统一社会信用代码 UnifiedSocialCreditCode")
struct UnifiedSocialCreditCodeTests {
    @Test("worked example 91350100M000100Y43 and its parts")
    func workedExample() throws {
        let code = try UnifiedSocialCreditCode("91350100M000100Y43")
        #expect(code.registrationAuthorityCode == "9")
        #expect(code.categoryCode == "1")
        #expect(code.regionDigits == "350100")
        #expect(code.regionCode == (try RegionCode("350100")))
        #expect(code.organizationCode == (try OrganizationCode("M000100Y-4")))
        #expect(code.organizationCode?.text == "M000100Y-4")
        #expect(code.checkCharacter == "3")
    }

    @Test("other checked codes", arguments: ["91350200776049653A", "913502000728319549"])
    func otherCheckedCodes(raw: String) throws {
        let code = try UnifiedSocialCreditCode(raw)
        #expect(code.text == raw)
        #expect(code.organizationCode?.compactText == String(raw.dropFirst(8).prefix(9)))
    }

    @Test("pilot code 91350203M0001QAY9B fails its checksum, expecting 9")
    func pilotCodeFailsChecksum() {
        #expect(
            UnifiedSocialCreditCode.validate("91350203M0001QAY9B")
                == .invalid(.badChecksum(.unifiedSocialCreditCode, expected: "9"))
        )
        #expect(UnifiedSocialCreditCode.validate("91350203M0001QAY99").isValid)
    }

    @Test func checkCharacterForFirst17() throws {
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91350100M000100Y4") == "3")
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91350203M0001QAY9") == "9")
        #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91350200776049653") == "A")
        #expect(
            throws: IdentifierError.badFormat(
                .unifiedSocialCreditCode,
                .invalidCharacter("O", position: 9, allowed: .creditCodeAlphabet)
            )
        ) {
            try UnifiedSocialCreditCode.checkCharacter(forFirst17: "91350100O000100Y4")
        }
    }

    @Test("input is upper-cased")
    func lowercaseInput() throws {
        #expect(try UnifiedSocialCreditCode("91350100m000100y43").text == "91350100M000100Y43")
        #expect(try UnifiedSocialCreditCode("91350200776049653a").text == "91350200776049653A")
    }

    @Test func badFormats() {
        func error(_ raw: String) -> IdentifierError? { UnifiedSocialCreditCode.validate(raw).error }

        #expect(error("") == .badFormat(.unifiedSocialCreditCode, .empty))
        #expect(
            error("91350100M000100Y4")
                == .badFormat(.unifiedSocialCreditCode, .wrongLength(expected: 18, actual: 17))
        )
        for excluded in ["I", "O", "S", "V", "Z"] {
            #expect(
                error("91350100\(excluded)000100Y43")
                    == .badFormat(
                        .unifiedSocialCreditCode,
                        .invalidCharacter(Character(excluded), position: 9, allowed: .creditCodeAlphabet)
                    )
            )
        }
        // Letters from the alphabet are still wrong where the region code belongs.
        #expect(
            error("913501A0M000100Y43")
                == .badFormat(.unifiedSocialCreditCode, .invalidCharacter("A", position: 7, allowed: .digits))
        )
    }

    @Test("central organs registered under 100000 are valid but have no GB/T 2260 region")
    func centralRegistration() throws {
        let code = try UnifiedSocialCreditCode("11100000M000100Y44")
        #expect(code.regionDigits == "100000")
        #expect(code.regionCode == nil)
        #expect(code.organizationCode?.text == "M000100Y-4")
    }

    @Test("a valid credit code whose embedded organization code fails GB 11714 exposes no organization code")
    func embeddedOrganizationCodeFailsItsOwnCheck() throws {
        let body = "91350100M000100Y5"
        let raw = body + String(try UnifiedSocialCreditCode.checkCharacter(forFirst17: body))
        let code = try UnifiedSocialCreditCode(raw)
        #expect(code.organizationCode == nil)
    }

    @Test func codableAsString() throws {
        let code = try UnifiedSocialCreditCode("91350100m000100y43")
        let json = try JSONEncoder().encode(code)
        #expect(String(decoding: json, as: UTF8.self) == #""91350100M000100Y43""#)
        #expect(try JSONDecoder().decode(UnifiedSocialCreditCode.self, from: json) == code)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(UnifiedSocialCreditCode.self, from: Data(#""91350203M0001QAY9B""#.utf8))
        }
    }

    @Test func checksumMessage() {
        let error = IdentifierError.badChecksum(.unifiedSocialCreditCode, expected: "9")
        #expect(
            error.message.combined
                == "统一社会信用代码校验位错误，应为 9 (unified social credit code check character is wrong, expected 9)"
        )
    }
}

@Suite("组织机构代码 OrganizationCode")
struct OrganizationCodeTests {
    @Test(
        "worked example D2143569-X, with or without the hyphen", arguments: ["D2143569-X", "D2143569X", "d2143569-x"])
    func workedExample(raw: String) throws {
        let code = try OrganizationCode(raw)
        #expect(code.text == "D2143569-X")
        #expect(code.body == "D2143569")
        #expect(code.checkCharacter == "X")
        #expect(code.compactText == "D2143569X")
    }

    @Test func checkCharacterForBody() throws {
        #expect(try OrganizationCode.checkCharacter(forBody: "D2143569") == "X")
        #expect(try OrganizationCode.checkCharacter(forBody: "M000100Y") == "4")
        // 11 − 0 = 11 is written as 0.
        #expect(try OrganizationCode.checkCharacter(forBody: "00000000") == "0")
        #expect(throws: IdentifierError.badFormat(.organizationCode, .wrongLength(expected: 8, actual: 9))) {
            try OrganizationCode.checkCharacter(forBody: "D2143569X")
        }
    }

    @Test func wrongCheckCharacter() {
        #expect(OrganizationCode.validate("D2143569-1") == .invalid(.badChecksum(.organizationCode, expected: "X")))
        #expect(OrganizationCode.validate("M000100Y5") == .invalid(.badChecksum(.organizationCode, expected: "4")))
    }

    @Test func badFormats() {
        func error(_ raw: String) -> IdentifierError? { OrganizationCode.validate(raw).error }

        #expect(error("") == .badFormat(.organizationCode, .empty))
        #expect(error("D2143569") == .badFormat(.organizationCode, .wrongLength(expected: 9, actual: 8)))
        #expect(error("D2143569-") == .badFormat(.organizationCode, .wrongLength(expected: 9, actual: 8)))
        #expect(error("D214-3569X") == .badFormat(.organizationCode, .misplacedHyphen(position: 5)))
        #expect(error("D2143569--X") == .badFormat(.organizationCode, .misplacedHyphen(position: 10)))
        #expect(
            error("D21435_9-X")
                == .badFormat(
                    .organizationCode,
                    .invalidCharacter("_", position: 7, allowed: .digitsOrUppercaseLetters)
                )
        )
        #expect(
            error("D2143569-Y")
                == .badFormat(.organizationCode, .invalidCharacter("Y", position: 10, allowed: .digitsOrX))
        )
        #expect(
            error("D2143569Y")
                == .badFormat(.organizationCode, .invalidCharacter("Y", position: 9, allowed: .digitsOrX))
        )
    }

    @Test("MOD 11 cannot tell apart characters whose values differ by 11, e.g. 0 and B")
    func knownBlindSpot() {
        #expect(OrganizationCode.validate("00000000-0").isValid)
        #expect(OrganizationCode.validate("B0000000-0").isValid)
        #expect(OrganizationCode.validate("M0000000-0").isValid)
    }

    @Test func codableAsString() throws {
        let json = try JSONEncoder().encode(try OrganizationCode("D2143569X"))
        #expect(String(decoding: json, as: UTF8.self) == #""D2143569-X""#)
        #expect(try JSONDecoder().decode(OrganizationCode.self, from: json).text == "D2143569-X")
    }
}

@Suite("行政区划代码 RegionCode")
struct RegionCodeTests {
    @Test(
        "level inference",
        arguments: [
            ("500000", RegionCode.Level.province),
            ("500100", .prefecture),
            ("500103", .county),
            ("341500", .prefecture),
            ("341502", .county),
            ("469001", .county),
        ]
    )
    func levelInference(raw: String, level: RegionCode.Level) throws {
        #expect(try RegionCode(raw).level == level)
    }

    @Test func provinceAndPrefecture() throws {
        let jinan = try RegionCode("341502")
        #expect(jinan.provinceCode == (try RegionCode("340000")))
        #expect(jinan.prefectureCode == (try RegionCode("341500")))

        let luan = try RegionCode("341500")
        #expect(luan.provinceCode.text == "340000")
        #expect(luan.prefectureCode == luan)

        let anhui = try RegionCode("340000")
        #expect(anhui.provinceCode == anhui)
        #expect(anhui.prefectureCode == nil)

        #expect(try RegionCode("500103").prefectureCode?.text == "500100")
    }

    @Test func jurisdiction() throws {
        let anhui = try RegionCode("340000")
        let luan = try RegionCode("341500")
        let jinan = try RegionCode("341502")
        let yuzhong = try RegionCode("500103")

        #expect(anhui.contains(jinan))
        #expect(anhui.contains(luan))
        #expect(anhui.contains(anhui))
        #expect(luan.contains(jinan))
        #expect(luan.contains(luan))
        #expect(!luan.contains(anhui))
        #expect(jinan.contains(jinan))
        #expect(!jinan.contains(luan))
        #expect(!jinan.contains(try RegionCode("341503")))
        #expect(!luan.contains(try RegionCode("341602")))
        #expect(!anhui.contains(yuzhong))
    }

    @Test func badFormats() {
        func error(_ raw: String) -> IdentifierError? { RegionCode.validate(raw).error }

        #expect(error("") == .badFormat(.regionCode, .empty))
        #expect(error("34150") == .badFormat(.regionCode, .wrongLength(expected: 6, actual: 5)))
        #expect(error("3415020") == .badFormat(.regionCode, .wrongLength(expected: 6, actual: 7)))
        #expect(error("34150A") == .badFormat(.regionCode, .invalidCharacter("A", position: 6, allowed: .digits)))
        #expect(error("+34150") == .badFormat(.regionCode, .invalidCharacter("+", position: 1, allowed: .digits)))
        #expect(error("000000") == .badFormat(.regionCode, .provinceOutOfRange("00")))
        #expect(error("100000") == .badFormat(.regionCode, .provinceOutOfRange("10")))
        #expect(error("830000") == .badFormat(.regionCode, .provinceOutOfRange("83")))
        #expect(error("340001") == .badFormat(.regionCode, .countyWithoutPrefecture("340001")))
        #expect(error("110000") == nil)
        #expect(error("820000") == nil)
    }

    @Test func messages() {
        #expect(
            IdentifierError.badFormat(.regionCode, .provinceOutOfRange("99")).message.combined
                == "行政区划代码的省级代码 99 不在 11–82 范围内 (administrative region code: province code 99 is outside 11–82)"
        )
    }

    @Test func codableAndOrdering() throws {
        let codes = try ["341502", "110105", "340000"].map { raw throws(IdentifierError) in try RegionCode(raw) }
        let json = try JSONEncoder().encode(codes.sorted())
        #expect(String(decoding: json, as: UTF8.self) == #"["110105","340000","341502"]"#)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RegionCode.self, from: Data(#""340001""#.utf8))
        }
    }
}

@Suite("CalendarDate")
struct CalendarDateTests {
    @Test func leapYears() {
        #expect(CalendarDate.isLeapYear(2000))
        #expect(CalendarDate.isLeapYear(2024))
        #expect(!CalendarDate.isLeapYear(1900))
        #expect(!CalendarDate.isLeapYear(2023))
        #expect(!CalendarDate.isLeapYear(2100))
    }

    @Test func validity() {
        #expect(CalendarDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2023, month: 2, day: 30) == nil)
        #expect(CalendarDate(year: 2023, month: 4, day: 31) == nil)
        #expect(CalendarDate(year: 2023, month: 12, day: 31) != nil)
        #expect(CalendarDate(year: 2023, month: 13, day: 1) == nil)
        #expect(CalendarDate(year: 2023, month: 0, day: 1) == nil)
        #expect(CalendarDate(year: 2023, month: 1, day: 0) == nil)
        #expect(CalendarDate(year: 0, month: 1, day: 1) == nil)
    }

    @Test func textForms() throws {
        let date = try #require(CalendarDate(compact: "19491231"))
        #expect(date.description == "1949-12-31")
        #expect(date.compactText == "19491231")
        #expect(CalendarDate(iso: "1949-12-31") == date)
        #expect(CalendarDate(iso: "1949-12-32") == nil)
        #expect(CalendarDate(compact: "1949123") == nil)
        #expect(CalendarDate(compact: "+9491231") == nil)
        #expect(CalendarDate(year: 5, month: 3, day: 7)?.description == "0005-03-07")
    }

    @Test func ordering() throws {
        let earlier = try #require(CalendarDate(year: 1949, month: 12, day: 31))
        let later = try #require(CalendarDate(year: 1950, month: 1, day: 1))
        #expect(earlier < later)
        #expect(!(later < earlier))
    }

    @Test("the day is decided in China Standard Time unless told otherwise")
    func fromDate() throws {
        // 1969-12-31 16:00 UTC is already 1 January 1970 in Beijing.
        let instant = Date(timeIntervalSince1970: -8 * 3600)
        #expect(CalendarDate(instant) == CalendarDate(year: 1970, month: 1, day: 1))
        let utc = try #require(TimeZone(secondsFromGMT: 0))
        #expect(CalendarDate(instant, in: utc) == CalendarDate(year: 1969, month: 12, day: 31))
    }

    @Test func codable() throws {
        let date = try #require(CalendarDate(year: 2024, month: 2, day: 29))
        let json = try JSONEncoder().encode(date)
        #expect(String(decoding: json, as: UTF8.self) == #""2024-02-29""#)
        #expect(try JSONDecoder().decode(CalendarDate.self, from: json) == date)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CalendarDate.self, from: Data(#""2023-02-29""#.utf8))
        }
    }
}
