import Foundation
import HuitongCore
import Testing

/// Licence types (证照目录): their schema is checked whole, and a licence's face is checked against it field by field.
@Suite("Licence types")
struct LicenceTypeTests {
    static let today = CalendarDate(iso: "2026-12-07")!

    static let businessLicence = LicenceType(
        typeCode: "11100000000013346P001", name: "营业执照", holderKind: .organisation,
        fields: [
            LicenceField(key: "tyshxydm", label: "统一社会信用代码", type: .creditCode, isRequired: true),
            LicenceField(key: "mc", label: "名称", type: .text, isRequired: true),
            LicenceField(key: "fddbr", label: "法定代表人", type: .text, isRequired: true, isMaskedByDefault: true),
            LicenceField(key: "zczb", label: "注册资本（万元）", type: .number, isRequired: false),
            LicenceField(key: "clrq", label: "成立日期", type: .date, isRequired: true),
            LicenceField(key: "zs", label: "住所", type: .text, isRequired: false),
        ],
        validity: .statedOnLicence, issuerCodes: ["11341500mb15001a5e"])

    @Test("a sound type is normalised; a bad type code, repeated field key, empty schema or bad issuer is named")
    func schema() throws {
        let type = try Self.businessLicence.validated()
        #expect(type.issuerCodes == ["11341500MB15001A5E"] && type.definerCode == "11100000000013346P")
        var broken = Self.businessLicence
        broken.typeCode = "11100000000013346Q001"
        broken.fields.append(LicenceField(key: "mc", label: "名称", type: .text, isRequired: false))
        broken.fields.append(LicenceField(key: "名称", label: "", type: .text, isRequired: false))
        broken.issuerCodes = ["11341500MB15001A5X"]
        broken.validity = .years(0)
        let error = #expect(throws: ValidationError.self) { try broken.validated() }
        #expect(
            error?.issues.map(\.field)
                == [
                    "typeCode", "fields[6].key", "fields[7].key", "fields[7].label", "validity", "issuerCodes[0]",
                ])
        #expect(error?.issues.first?.message.contains("证照类型代码") == true)
    }

    @Test("a face is checked against the schema: required fields, unknown fields, dates, numbers and identifiers")
    func face() throws {
        let type = try Self.businessLicence.validated()
        #expect(
            type.problems(
                inFace: [
                    "tyshxydm": "11341500MB15001A5F", "mc": "六安数据科技有限公司", "fddbr": "张三", "zczb": "500",
                    "clrq": "2020-05-01",
                ], today: Self.today
            ).map(\.field) == ["face.tyshxydm"], "a credit code with a wrong check character")
        let problems = type.problems(
            inFace: ["tyshxydm": "11341500MB15001A5E", "fddbr": "张三", "zczb": "五百", "clrq": "2020-02-30", "xx": "?"],
            today: Self.today)
        #expect(problems.map(\.field) == ["face.xx", "face.mc", "face.zczb", "face.clrq"])
        #expect(problems.first { $0.field == "face.mc" }?.message.contains("名称不能为空") == true)
        #expect(problems.first { $0.field == "face.clrq" }?.message.contains("成立日期：应为有效日期") == true)
    }

    @Test("validity is written as a kind, with years for a fixed term")
    func validityCoding() throws {
        for validity in [LicenceValidity.permanent, .years(10), .statedOnLicence] {
            let data = try JSONEncoder().encode(validity)
            #expect(try JSONDecoder().decode(LicenceValidity.self, from: data) == validity)
        }
        #expect(
            String(decoding: try JSONEncoder().encode(LicenceValidity.years(10)), as: UTF8.self).contains(
                "\"years\":10"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LicenceValidity.self, from: Data(#"{"kind": "forever"}"#.utf8))
        }
    }
}

/// Licences themselves: holders bound by their identifiers, validity, status over time.
@Suite("Licences")
struct LicenceTests {
    @Test("a holder is bound by the identifier of its kind, in canonical form; a wrong one is named")
    func holders() throws {
        let person = try LicenceHolder(
            kind: .person, code: "11010519491231002x", name: " 张三 ", today: LicenceTypeTests.today)
        #expect(person.code == "11010519491231002X" && person.name == "张三")
        let error = #expect(throws: ValidationError.self) {
            try LicenceHolder(kind: .organisation, code: "11010519491231002X", name: "", today: LicenceTypeTests.today)
        }
        #expect(error?.issues.map(\.field) == ["holder.code", "holder.name"])
    }

    @Test("a fixed term ends the day before its anniversary; a stated end wins; a licence past its end reads expired")
    func validity() throws {
        var type = try LicenceTypeTests.businessLicence.validated()
        type.validity = .years(10)
        let issued = CalendarDate(iso: "2024-02-29")!
        #expect(type.validUntil(issuedOn: issued, statedEnd: nil) == CalendarDate(iso: "2034-02-28"))
        #expect(
            type.validUntil(issuedOn: CalendarDate(iso: "2026-03-01")!, statedEnd: nil)
                == CalendarDate(iso: "2036-02-29"))
        #expect(
            type.validUntil(issuedOn: issued, statedEnd: CalendarDate(iso: "2030-01-01"))
                == CalendarDate(iso: "2030-01-01"))
        type.validity = .permanent
        #expect(type.validUntil(issuedOn: issued, statedEnd: CalendarDate(iso: "2030-01-01")) == nil)

        let licence = Licence(
            identifier: try LicenceIdentifier(LicenceIdentifierTests.examples[0]), typeCode: type.typeCode,
            holder: try LicenceHolder(
                kind: .organisation, code: "11341500MB15001A5E", name: "六安市市场监管局", today: LicenceTypeTests.today),
            face: [:], issuedOn: issued, validUntil: CalendarDate(iso: "2026-12-06"), status: .valid, previous: nil,
            issuerDepartmentID: 1)
        #expect(licence.status(on: CalendarDate(iso: "2026-12-06")!) == .valid)
        #expect(licence.status(on: LicenceTypeTests.today) == .expired)
        var revoked = licence
        revoked.status = .revoked
        #expect(revoked.status(on: LicenceTypeTests.today) == .revoked)
    }
}
