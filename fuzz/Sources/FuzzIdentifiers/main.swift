// libFuzzer target: the identifier validators — 公民身份号码 (18 digits, and the 15-digit upgrade), 统一社会信用代码,
// 组织机构代码, 行政区划代码 — the calendar dates they contain, and the masking rules applied to such values.
//
// The input is read as UTF-8 text (invalid bytes repaired). Besides not crashing:
// - a value that validates keeps its canonical text: validating that text again gives the same value;
// - for a 17-character body whose check character can be computed, exactly one check character completes it:
//   validation accepts body + that character only (or rejects all for a reason other than the check character);
// - every error renders a bilingual message; masking rules take any text.
import HuitongCore

let today = CalendarDate(year: 2026, month: 6, day: 30)!

func roundTrips<Value: CheckedIdentifier>(_ validation: IdentifierValidation<Value>, _ make: (String) throws -> Value) {
    switch validation {
    case .valid(let value):
        let again = try? make(value.text)
        precondition(again == value, "\(Value.self) \(value.text) does not validate again to itself")
        precondition(value.text == value.description)
    case .invalid(let error):
        _ = error.message.combined
        _ = error.code
    }
}

func checkCharacterIsUnique(_ body: String) {
    guard let check = try? ResidentIDNumber.checkCharacter(forFirst17: body) else { return }
    let right = ResidentIDNumber.validate(body + String(check), today: today)
    for other in "0123456789X" where other != check {
        let wrong = ResidentIDNumber.validate(body + String(other), today: today)
        precondition(!wrong.isValid, "\(body)\(other) validates although its check character is \(check)")
        if right.isValid {
            // Only the check character can be wrong: the error must say so.
            if case .badChecksum = wrong.error {
            } else {
                preconditionFailure(
                    "\(body)\(other): expected a check-character error, got \(String(describing: wrong.error))")
            }
        }
    }
    if let creditCheck = try? UnifiedSocialCreditCode.checkCharacter(forFirst17: body) {
        for other in UnifiedSocialCreditCode.alphabet where other != creditCheck {
            precondition(
                !UnifiedSocialCreditCode.validate(body + String(other)).isValid,
                "统一社会信用代码 \(body)\(other) validates although its check character is \(creditCheck)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentifiers(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let text = String(decoding: input, as: UTF8.self)

    roundTrips(ResidentIDNumber.validate(text, today: today)) { try ResidentIDNumber($0, today: today) }
    roundTrips(UnifiedSocialCreditCode.validate(text)) { try UnifiedSocialCreditCode($0) }
    roundTrips(OrganizationCode.validate(text)) { try OrganizationCode($0) }
    let region = RegionCode.validate(text)
    roundTrips(region) { try RegionCode($0) }
    if let region = region.value {
        _ = region.level
        precondition(region.provinceCode.contains(region), "\(region.text) is not inside its province")
        if let prefecture = region.prefectureCode {
            precondition(prefecture.contains(region), "\(region.text) is not inside its prefecture")
        }
    }
    if let credit = UnifiedSocialCreditCode.validate(text).value {
        _ = credit.regionCode
        _ = credit.organizationCode
        _ = credit.registrationAuthorityCode
    }
    if let person = ResidentIDNumber.validate(text, today: today).value {
        precondition(person.birthDate <= today, "\(person.text) is born after today")
    }
    do {
        let upgraded = try ResidentIDNumber.upgradeLegacy(text, today: today)
        precondition(ResidentIDNumber.validate(upgraded.text, today: today).isValid)
    } catch {
        _ = error.message.combined
    }
    _ = try? OrganizationCode.checkCharacter(forBody: text)
    checkCharacterIsUnique(text)
    if text.count > 17 { checkCharacterIsUnique(String(text.prefix(17))) }

    if let date = CalendarDate(compact: text) {
        precondition(CalendarDate(year: date.year, month: date.month, day: date.day) == date)
    }
    if let date = CalendarDate(iso: text) {
        precondition(CalendarDate(iso: date.description) == date, "\(text) → \(date) does not read back")
    }

    let rules: [MaskingRule] = [
        .keep(first: 6, last: 4), .keep(first: 1, last: 0), .keep(first: 3, last: 4), .maskTail(count: 8),
        .email, .bankCard, .all, .none,
    ]
    for rule in rules {
        _ = rule.apply(to: text)
    }
    return 0
}
