import Foundation
import HuitongCore
import Testing

@Suite("Masking and row validation")
struct RowValidationTests {
    @Test("the default masking rules show what domain.md §4.3 shows")
    func masking() {
        #expect(MaskingRule.default(for: .personName).apply(to: "段正淳") == "段**")
        #expect(MaskingRule.default(for: .residentID).apply(to: "51343620000320711X") == "5***************1X")
        #expect(MaskingRule.default(for: .mobilePhone).apply(to: "18049531999") == "180****1999")
        #expect(MaskingRule.keep(first: 4, last: 2).apply(to: "09157518479") == "0915*****79")
        #expect(MaskingRule.default(for: .address).apply(to: "北京市海淀区马连洼街道289号") == "北京市海淀区马********")
        #expect(MaskingRule.default(for: .bankCard).apply(to: "1101234567893256") == "1101 **** **** 3256")
        #expect(
            MaskingRule.default(for: .email).apply(to: "duandazhi-jack@gmail.com.cn") == "d*************@gmail.com.cn")
        #expect(MaskingRule.default(for: .licensePlate).apply(to: "苏D40000") == "苏D4***0")
        #expect(
            MaskingRule.default(for: .mobilePhone).apply(to: "123") == "1**",
            "short values reveal at most one character")
    }

    static let items = [
        InfoItem(
            name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true, isRequired: true,
            semanticKind: .residentID),
        InfoItem(
            name: "姓名", columnName: "xm", dataType: .character, length: 50, isRequired: true, semanticKind: .personName),
        InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
        InfoItem(name: "手机号码", columnName: "sjhm", dataType: .character, length: 11, semanticKind: .mobilePhone),
        InfoItem(name: "行政区划代码", columnName: "xzqhdm", dataType: .character, length: 6, semanticKind: .regionCode),
        InfoItem(name: "是否在世", columnName: "sfzs", dataType: .logical),
    ]

    @Test("headers match column names or Chinese item names; missing required columns are named")
    func mapping() throws {
        let mapping = try ColumnMapping(header: ["SFZHM", "姓名", "备注", "csrq"], items: Self.items)
        #expect(mapping.positions == [0, 1, 3, nil, nil, nil])
        #expect(mapping.unknownColumns == ["备注"])
        #expect(throws: IngestError.missingColumns(["姓名（xm）"])) {
            try ColumnMapping(header: ["sfzhm", "csrq"], items: Self.items)
        }
        #expect(throws: IngestError.emptyHeader) { try ColumnMapping(header: ["", " "], items: Self.items) }
    }

    @Test("good rows come back in canonical form")
    func canonical() throws {
        let validator = RowValidator(
            mapping: try ColumnMapping(header: Self.items.map(\.columnName), items: Self.items),
            today: CalendarDate(year: 2026, month: 11, day: 23)!)
        let result = validator.validate(
            ["11010519491231002x", " 张三 ", "1949/12/31", "13800138000", "341502", "是"], row: 2)
        #expect(try result.get() == ["11010519491231002X", "张三", "1949-12-31", "13800138000", "341502", "true"])
    }

    @Test("cells lose surrounding spaces of every kind, full-width and no-break included; a NUL is refused")
    func whitespaceAndNUL() throws {
        let validator = RowValidator(
            mapping: try ColumnMapping(header: Self.items.map(\.columnName), items: Self.items),
            today: CalendarDate(year: 2026, month: 11, day: 23)!)
        for name in ["\u{3000}张三\u{3000}", "张三\u{00A0}", "\t张三", "张三\r\n", "张三"] {
            let result = validator.validate(["11010519491231002X", name, "", "", "", ""], row: 2)
            #expect(try result.get()[1] == "张三", "\(name.debugDescription) should read as 张三")
        }
        #expect(
            try validator.validate(["11010519491231002X", "张\u{3000}三", "", "", "", ""], row: 2).get()[1]
                == "张\u{3000}三",
            "spaces inside a value are kept")
        guard
            case .failure(let problems) = validator.validate(["11010519491231002X", "张\u{0}三", "", "", "", ""], row: 7)
        else {
            Issue.record("a NUL inside a name must be rejected")
            return
        }
        #expect(problems.issues.map(\.column) == ["xm"])
    }

    @Test("each bad value is reported with its row and column, personal data masked")
    func rejected() throws {
        let validator = RowValidator(
            mapping: try ColumnMapping(header: Self.items.map(\.columnName), items: Self.items),
            today: CalendarDate(year: 2026, month: 11, day: 23)!)
        let result = validator.validate(
            ["110105194912310021", "", "1949-02-30", "23800138000", "999999", "也许"], row: 7)
        guard case .failure(let problems) = result else {
            Issue.record("the row should be rejected")
            return
        }
        #expect(problems.issues.map(\.column) == ["sfzhm", "xm", "csrq", "sjhm", "xzqhdm", "sfzs"])
        #expect(problems.issues.allSatisfy { $0.row == 7 })
        let identity = try #require(problems.issues.first)
        #expect(identity.value == "1***************21", "the ID number is masked in the report")
        #expect(problems.issues[3].value == "238****8000")
        #expect(problems.issues[1].reason.contains("必填"))
    }
}

@Suite("Row validation against code sets")
struct CodedRowValidationTests {
    static let items = [
        InfoItem(name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
        InfoItem(
            name: "性别", columnName: "xb", dataType: .character, length: 1, isRequired: true,
            codeSet: "GB/T 2261.1-2003"),
        InfoItem(name: "婚姻状况", columnName: "hyzk", dataType: .integer, codeSet: "婚姻"),
    ]
    static let marital = CodeSet(
        id: "婚姻", name: BilingualText(zh: "婚姻状况", en: "marital status"),
        codes: (1...12).map { CodeSet.Code(code: String($0 * 10), label: "状况\($0)") })

    static func validator(_ sets: [CodeSet] = [CodeSetTests.sex, marital]) throws -> RowValidator {
        RowValidator(
            mapping: try ColumnMapping(header: ["xm", "xb", "hyzk"], items: items), codeSets: sets,
            today: CalendarDate(year: 2026, month: 11, day: 23)!)
    }

    @Test("a code is taken as it is, a label or alias is stored as its code")
    func accepted() throws {
        let validator = try Self.validator()
        #expect(try validator.validate(["张三", "1", "20"], row: 2).get() == ["张三", "1", "20"])
        #expect(try validator.validate(["张三", "男性", "状况3"], row: 2).get() == ["张三", "1", "30"])
        #expect(try validator.validate(["李四", " 女 ", ""], row: 3).get() == ["李四", "2", nil])
        #expect(
            try validator.validate(["李四", "9", "040"], row: 3).get() == ["李四", "9", "40"],
            "integer codes ignore leading zeros")
    }

    @Test("a value outside the code set is rejected with the set's name and its first ten codes")
    func rejected() throws {
        let validator = try Self.validator()
        guard case .failure(let problems) = validator.validate(["张三", "M", "15"], row: 4) else {
            Issue.record("the row should be rejected")
            return
        }
        #expect(problems.issues.map(\.column) == ["xb", "hyzk"])
        #expect(problems.issues.map(\.value) == ["M", "15"])
        let sex = problems.issues[0].reason
        #expect(sex.contains("GB/T 2261.1-2003") && sex.contains("人的性别代码"))
        #expect(sex.contains("0 未知的性别、1 男性、2 女性、9 未说明的性别"))
        let marital = problems.issues[1].reason
        #expect(marital.contains("100 状况10") && !marital.contains("110 状况11"), "at most ten codes are listed")
        #expect(marital.contains("共 12 个"))
    }

    @Test("an item whose code set was not supplied takes no value")
    func missingSet() throws {
        let validator = try Self.validator([CodeSetTests.sex])
        guard case .failure(let problems) = validator.validate(["张三", "1", "10"], row: 5) else {
            Issue.record("the row should be rejected")
            return
        }
        #expect(problems.issues.map(\.column) == ["hyzk"])
        #expect(problems.issues[0].reason.contains("代码集 婚姻 不存在"))
    }
}
