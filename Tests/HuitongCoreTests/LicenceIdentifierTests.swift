import HuitongCore
import Testing

/// 电子证照标识 (GB/T 36904-2018) with its ISO/IEC 7064 MOD 37,36 check, on the worked examples of
/// domain-services.md §2.2.
@Suite("E-licence identifiers")
struct LicenceIdentifierTests {
    static let examples = [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
    ]

    @Test(
        "the published identifiers validate, with their segments; building them from the segments gives the same check")
    func workedExamples() throws {
        let first = try LicenceIdentifier(Self.examples[0])
        #expect(first.typeCode == "11100000000013338W011" && first.definerCode == "11100000000013338W")
        #expect(first.issuerCode == "11430000006122244L" && first.serial == "20230000403" && first.version == 1)
        let second = try LicenceIdentifier(Self.examples[1])
        #expect(second.version == 2)
        let third = try LicenceIdentifier(Self.examples[2])
        #expect(third.issuerCode == "340100", "an early licence names its issuer by region code")
        for example in Self.examples {
            let parsed = try LicenceIdentifier(example)
            let built = try LicenceIdentifier(
                typeCode: parsed.typeCode, issuerCode: parsed.issuerCode, serial: parsed.serial,
                version: parsed.version)
            #expect(built.text == example)
        }
        #expect(try first.nextVersion().text.hasSuffix(".20230000403.002.\(try first.nextVersion().text.last!)"))
        #expect(try LicenceIdentifier("  " + Self.examples[0].lowercased() + " ") == first)
    }

    @Test("a wrong check, root, segment count or segment is refused, saying what was expected")
    func refusals() throws {
        let wrongCheck = String(Self.examples[0].dropLast()) + "V"
        #expect(throws: IdentifierError.badChecksum(.licenceIdentifier, expected: "U")) {
            try LicenceIdentifier(wrongCheck)
        }
        #expect(
            IdentifierError.badChecksum(.licenceIdentifier, expected: "U").message.zh == "电子证照标识校验位错误，应为 U")
        let root = #expect(throws: IdentifierError.self) {
            try LicenceIdentifier("1.2.156.3005.3.11100000000013338W011.11430000006122244L.20230000403.001.U")
        }
        #expect(root?.message.zh == "电子证照标识应以根代码 1.2.156.3005.2. 开头")
        let segments = #expect(throws: IdentifierError.self) {
            try LicenceIdentifier("1.2.156.3005.2.11100000000013338W011.11430000006122244L.001.U")
        }
        #expect(segments == .badFormat(.licenceIdentifier, .wrongSegmentCount(expected: 5, actual: 4)))
        // The definer's credit code inside the type code must pass its own check.
        let type = #expect(throws: IdentifierError.self) {
            try LicenceIdentifier("1.2.156.3005.2.11100000000013338X011.11430000006122244L.20230000403.001.U")
        }
        #expect(type == .badFormat(.licenceIdentifier, .badSegment(.typeCode, "11100000000013338X011")))
        #expect(type?.message.en.contains("licence type code") == true)
        let version = #expect(throws: IdentifierError.self) {
            try LicenceIdentifier(
                typeCode: "11100000000013338W011", issuerCode: "11430000006122244L", serial: "1", version: 1000)
        }
        #expect(version == .badFormat(.licenceIdentifier, .badSegment(.version, "1000")))
        #expect(throws: IdentifierError.self) {
            try LicenceIdentifier(
                typeCode: "11100000000013338W011", issuerCode: "11430000006122244L", serial: "第1号", version: 1)
        }
    }
}
