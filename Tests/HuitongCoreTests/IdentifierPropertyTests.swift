import HuitongCore
import PropertyBased
import Testing

/// A fixed "today" so that generated birth dates are never in the future, whenever the tests run.
private let today = CalendarDate(year: 2025, month: 6, day: 1)!

/// Check-character computations written directly from the formulas in domain.md §5, independently of the library's
/// weight and lookup tables, so that generated codes test the library against the specification, not itself.
private enum Reference {
    static let digits: [Character] = Array("0123456789")
    static let digitsOrX: [Character] = digits + ["X"]
    static let alphanumerics: [Character] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let creditAlphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// W_i = 2^(18−i) mod 11; check = (12 − S mod 11) mod 11, 10 written as X.
    static func residentIDCheck(_ digits: [Int]) -> Character {
        let sum = digits.enumerated().reduce(0) { $0 + $1.element * power(2, 17 - $1.offset, modulo: 11) }
        let check = (12 - sum % 11) % 11
        return check == 10 ? "X" : Character(String(check))
    }

    /// W_i = 3^(i−1) mod 31; C18 = 31 − (S mod 31), 31 becoming 0.
    static func creditCheck(_ values: [Int]) -> Character {
        let sum = values.enumerated().reduce(0) { $0 + $1.element * power(3, $1.offset, modulo: 31) }
        let check = 31 - sum % 31
        return creditAlphabet[check == 31 ? 0 : check]
    }

    /// W_i = 2^(9−i) mod 11; C9 = 11 − (S mod 11), 10 written as X and 11 as 0.
    static func organizationCheck(_ values: [Int]) -> Character {
        let sum = values.enumerated().reduce(0) { $0 + $1.element * power(2, 8 - $1.offset, modulo: 11) }
        switch 11 - sum % 11 {
        case 10: return "X"
        case 11: return "0"
        case let check: return Character(String(check))
        }
    }

    static func alphanumericValue(_ character: Character) -> Int {
        alphanumerics.firstIndex(of: character)!
    }

    static func creditValue(_ character: Character) -> Int {
        creditAlphabet.firstIndex(of: character)!
    }

    static func power(_ base: Int, _ exponent: Int, modulo: Int) -> Int {
        (0..<exponent).reduce(1) { result, _ in result * base % modulo }
    }

    static func padded(_ number: Int, width: Int) -> String {
        let text = String(number)
        return String(repeating: "0", count: width - text.count) + text
    }
}

/// Random valid ID numbers: any plausible province, any real birth date from 1900 to 2024, any sequence number.
private let residentIDs = zip(
    Gen.int(in: 11...82),
    Gen.int(in: 0...9999),
    Gen.int(in: 1900...2024),
    Gen.int(in: 1...12),
    Gen.int(in: 1...31),
    Gen.int(in: 0...999)
)
.map { province, restOfRegion, year, month, day, sequence in
    let lastDay = CalendarDate.numberOfDays(inMonth: month, year: year) ?? 28
    let body =
        String(province) + Reference.padded(restOfRegion, width: 4) + Reference.padded(year, width: 4)
        + Reference.padded(month, width: 2) + Reference.padded(min(day, lastDay), width: 2)
        + Reference.padded(sequence, width: 3)
    let check = Reference.residentIDCheck(body.map { Int(String($0))! })
    return body + String(check)
}

/// Random valid credit codes whose positions 9–17 hold a valid organization code drawn from the credit alphabet.
private let creditCodes = zip(
    Gen.int(in: 0...30).array(of: 2),
    Gen.int(in: 0...9).array(of: 6),
    Gen.int(in: 0...30).array(of: 8)
)
.map { head, region, organizationBody in
    let organization = organizationBody.map { Reference.creditAlphabet[$0] }
    let organizationCheck = Reference.organizationCheck(organization.map(Reference.alphanumericValue))
    let first17 =
        head.map { Reference.creditAlphabet[$0] } + region.map { Reference.digits[$0] } + organization
        + [organizationCheck]
    return String(first17 + [Reference.creditCheck(first17.map(Reference.creditValue))])
}

/// Random valid organization codes in canonical form.
private let organizationCodes = Gen.int(in: 0...35).array(of: 8).map { values in
    String(values.map { Reference.alphanumerics[$0] }) + "-" + String(Reference.organizationCheck(values))
}

/// Every string that differs from `text` in exactly one position, taking replacements from `alphabet(position)`.
private func singleSubstitutions(
    of text: String,
    alphabet: (Int) -> [Character]
) -> [(position: Int, original: Character, mutated: String)] {
    let characters = Array(text)
    return characters.indices.flatMap { position in
        alphabet(position).filter { $0 != characters[position] }.map { replacement in
            var mutated = characters
            mutated[position] = replacement
            return (position, characters[position], String(mutated))
        }
    }
}

@Suite("Identifier properties")
struct IdentifierPropertyTests {
    @Test func generatedResidentIDNumbersAreValid() async {
        await propertyCheck(count: 300, input: residentIDs) { raw in
            let id = try #require(ResidentIDNumber.validate(raw, today: today).value, "\(raw)")
            #expect(id.text == raw)
            #expect(id.regionCode.text == String(raw.prefix(6)))
            #expect(id.birthDate.compactText == String(raw.dropFirst(6).prefix(8)))
            #expect(id.sex == (Int(String(Array(raw)[16]))! % 2 == 1 ? .male : .female))
            #expect(try ResidentIDNumber(raw.lowercased(), today: today) == id)
        }
    }

    @Test func residentIDCheckCharacterMatchesTheSpecification() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...9).array(of: 17)) { digits in
            let body = String(digits.map { Reference.digits[$0] })
            let check = try ResidentIDNumber.checkCharacter(forFirst17: body)
            #expect(check == Reference.residentIDCheck(digits))
        }
    }

    @Test("every single-character substitution of a valid ID number is rejected")
    func residentIDSubstitutionsFail() async {
        await propertyCheck(count: 100, input: residentIDs) { raw in
            let variants = singleSubstitutions(of: raw) { $0 == 17 ? Reference.digitsOrX : Reference.digits }
            #expect(variants.count == 17 * 9 + 10)
            for variant in variants {
                // A changed birth-date digit may give badBirthDate rather than badChecksum; either is a rejection.
                #expect(!ResidentIDNumber.validate(variant.mutated, today: today).isValid, "\(variant.mutated)")
            }
        }
    }

    @Test func generatedCreditCodesAreValid() async {
        await propertyCheck(count: 300, input: creditCodes) { raw in
            let code = try #require(UnifiedSocialCreditCode.validate(raw).value, "\(raw)")
            #expect(code.text == raw)
            #expect(code.regionDigits == String(raw.dropFirst(2).prefix(6)))
            #expect(code.organizationCode?.compactText == String(raw.dropFirst(8).prefix(9)))
            #expect(try UnifiedSocialCreditCode(raw.lowercased()) == code)
            #expect(try UnifiedSocialCreditCode.checkCharacter(forFirst17: String(raw.prefix(17))) == raw.last)
        }
    }

    @Test("every single-character substitution of a valid credit code is rejected")
    func creditCodeSubstitutionsFail() async {
        await propertyCheck(count: 100, input: creditCodes) { raw in
            let variants = singleSubstitutions(of: raw) { _ in Reference.creditAlphabet }
            #expect(variants.count == 18 * 30)
            for variant in variants {
                #expect(!UnifiedSocialCreditCode.validate(variant.mutated).isValid, "\(variant.mutated)")
            }
        }
    }

    @Test func generatedOrganizationCodesAreValid() async {
        await propertyCheck(count: 300, input: organizationCodes) { raw in
            let code = try #require(OrganizationCode.validate(raw).value, "\(raw)")
            #expect(code.text == raw)
            #expect(try OrganizationCode(code.compactText) == code)
            #expect(try OrganizationCode(raw.lowercased()) == code)
        }
    }

    /// GB 11714 counts letters as 10–35 but checks modulo 11, so a substitution by a character whose value
    /// differs by a multiple of 11 goes unnoticed; every other substitution is caught.
    @Test("single-character substitutions of an organization code are rejected unless values differ by 11k")
    func organizationCodeSubstitutions() async {
        await propertyCheck(count: 100, input: organizationCodes) { raw in
            let compact = raw.replacing("-", with: "")
            let variants = singleSubstitutions(of: compact) { $0 == 8 ? Reference.digitsOrX : Reference.alphanumerics }
            #expect(variants.count == 8 * 35 + 10)
            for variant in variants {
                let replacement = Array(variant.mutated)[variant.position]
                let blindSpot =
                    variant.position < 8
                    && (Reference.alphanumericValue(replacement) - Reference.alphanumericValue(variant.original))
                        % 11 == 0
                #expect(OrganizationCode.validate(variant.mutated).isValid == blindSpot, "\(variant.mutated)")
            }
        }
    }

    @Test("region code validation follows the structural rules for every six-digit string")
    func regionCodeRules() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 0...999_999)) { number in
            let raw = Reference.padded(number, width: 6)
            let province = number / 10_000
            let prefecture = number / 100 % 100
            let county = number % 100
            let expectedValid = (11...82).contains(province) && !(prefecture == 0 && county != 0)
            #expect(RegionCode.validate(raw).isValid == expectedValid, "\(raw)")
        }
    }

    @Test("a code lies within its province and prefecture, and a county contains only itself")
    func regionCodeJurisdiction() async {
        let counties = zip(Gen.int(in: 11...82), Gen.int(in: 1...99), Gen.int(in: 1...99)).map { p, m, c in
            String(p) + Reference.padded(m, width: 2) + Reference.padded(c, width: 2)
        }
        await propertyCheck(count: 300, input: counties, counties) { raw, otherRaw in
            let county = try RegionCode(raw)
            let other = try RegionCode(otherRaw)
            #expect(county.level == .county)
            #expect(county.provinceCode.contains(county))
            #expect(county.provinceCode.level == .province)
            let prefecture = try #require(county.prefectureCode)
            #expect(prefecture.level == .prefecture)
            #expect(prefecture.contains(county))
            #expect(county.provinceCode.contains(prefecture))
            #expect(county.contains(other) == (raw == otherRaw))
            #expect(prefecture.contains(other) == (raw.prefix(4) == otherRaw.prefix(4)))
            #expect(county.provinceCode.contains(other) == (raw.prefix(2) == otherRaw.prefix(2)))
        }
    }
}

/// ISO/IEC 7064 hybrid MOD 37,36 as the standard states it: P₁ = 36; Sⱼ = Pⱼ + aⱼ reduced into 1…36; Pⱼ₊₁ = 2Sⱼ mod
/// 37; the check a makes (P + a) reduced into 1…36 equal 1.
private func referenceLicenceCheck(_ body: String) -> Character {
    var p = 36
    for character in body {
        let s = (p + Reference.alphanumericValue(character) - 1) % 36 + 1
        p = 2 * s % 37
    }
    let a = (36 + 1 - p) % 36
    return Reference.alphanumerics[a]
}

/// Random e-licence identifiers: a generated credit code as the definer and another as the issuer, any serial.
private let licenceIdentifiers = zip(
    creditCodes, creditCodes, Gen.int(in: 0...999), Gen.int(in: 0...35).array(of: 1...20), Gen.int(in: 1...999)
)
.map { definer, issuer, sequence, serial, version in
    let body = [
        definer + Reference.padded(sequence, width: 3), issuer, String(serial.map { Reference.alphanumerics[$0] }),
        Reference.padded(version, width: 3),
    ]
    return (["1.2.156.3005.2"] + body + [String(referenceLicenceCheck(body.joined()))]).joined(separator: ".")
}

@Suite("E-licence identifier properties")
struct LicenceIdentifierPropertyTests {
    @Test(
        "generated identifiers are valid, keep their segments, and their next version differs only in version and check"
    )
    func generatedIdentifiersAreValid() async {
        await propertyCheck(count: 300, input: licenceIdentifiers) { raw in
            let identifier = try #require(LicenceIdentifier.validate(raw).value, "\(raw)")
            #expect(identifier.text == raw)
            #expect(try LicenceIdentifier(raw.lowercased()) == identifier)
            if identifier.version < 999 {
                let next = try identifier.nextVersion()
                #expect(next.version == identifier.version + 1 && next.serial == identifier.serial)
                #expect(next.typeCode == identifier.typeCode && next.issuerCode == identifier.issuerCode)
            }
        }
    }

    @Test("every single-character substitution of the check character or of the serial is rejected")
    func substitutionsFail() async {
        await propertyCheck(count: 100, input: licenceIdentifiers) { raw in
            let serialStart = raw.split(separator: ".").prefix(7).joined(separator: ".").count + 1
            let serialEnd = serialStart + raw.split(separator: ".")[7].count
            let variants = singleSubstitutions(of: raw) { position in
                position == raw.count - 1 || (serialStart..<serialEnd).contains(position) ? Reference.alphanumerics : []
            }
            #expect(!variants.isEmpty)
            for variant in variants {
                #expect(!LicenceIdentifier.validate(variant.mutated).isValid, "\(variant.mutated)")
            }
        }
    }
}
