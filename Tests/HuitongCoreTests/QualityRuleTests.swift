import Foundation
import HuitongCore
import Testing

private let today = CalendarDate(year: 2025, month: 6, day: 1)!

private let sex = CodeSet(
    id: "GB/T 2261.1-2003", name: BilingualText(zh: "人的性别代码", en: "Human sexes"),
    codes: [
        CodeSet.Code(code: "0", label: "未知的性别"),
        CodeSet.Code(code: "1", label: "男性", aliases: ["男"]),
        CodeSet.Code(code: "2", label: "女性", aliases: ["女"]),
        CodeSet.Code(code: "9", label: "未说明的性别"),
    ])

/// A 人口 resource as a provider would catalog it.
private let items = [
    InfoItem(
        name: "姓名", columnName: "xm", dataType: .character, length: 20, isRequired: true, semanticKind: .personName),
    InfoItem(
        name: "公民身份号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true, isRequired: true,
        semanticKind: .residentID),
    InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
    InfoItem(name: "性别", columnName: "xb", dataType: .character, codeSet: "GB/T 2261.1-2003"),
    InfoItem(name: "手机号码", columnName: "sjhm", dataType: .character, semanticKind: .mobilePhone),
    InfoItem(name: "年龄", columnName: "nl", dataType: .integer),
    InfoItem(name: "所在单位统一社会信用代码", columnName: "dwxydm", dataType: .character, semanticKind: .creditCode),
    InfoItem(name: "邮政编码", columnName: "yzbm", dataType: .character),
]

private func idNumber(birth: String, sequence: String) throws -> String {
    let body = "341502" + birth + sequence
    return body + String(try ResidentIDNumber.checkCharacter(forFirst17: body))
}

private func creditCode(_ organization: String) throws -> String {
    let body = "91341500" + organization
    return body + String(try UnifiedSocialCreditCode.checkCharacter(forFirst17: body))
}

/// The rules derived from the items plus the ones a caller adds: a pattern, a range, a referential check and
/// freshness.
private func allRules() -> [QualityRule] {
    QualityRule.derived(from: items) + [
        QualityRule(id: "yzbm.pattern", dimension: .normativity, columns: ["yzbm"], kind: .pattern("[0-9]{6}")),
        QualityRule(
            id: "nl.range", dimension: .accuracy, columns: ["nl"], kind: .range(.numeric(minimum: 0, maximum: 150))),
        QualityRule(id: "dwxydm.referential", dimension: .referential, columns: ["dwxydm"], kind: .referential("法人库")),
        QualityRule(id: "freshness", dimension: .timeliness, columns: [], kind: .freshness(.monthly)),
    ]
}

private struct Fixture {
    let employer: String
    let stranger: String
    let rows: [[String: String?]]

    init() throws {
        employer = try creditCode("MA2N0AB1C")
        stranger = try creditCode("MA2N0WW9Y")
        var rows: [[String: String?]] = []
        for index in 0..<15 {
            let birth = String(format: "1980%02d%02d", index % 12 + 1, index + 1)
            rows.append([
                "xm": "张三\(["", "丰", "石"][index % 3])",
                "sfzhm": try idNumber(birth: birth, sequence: String(format: "%03d", index + 100)),
                "csrq": "1980-\(birth.dropFirst(4).prefix(2))-\(birth.suffix(2))",
                "xb": index % 2 == 0 ? "1" : "女",
                "sjhm": "1385564\(String(format: "%04d", index))",
                "nl": "45",
                "dwxydm": employer,
                "yzbm": "237000",
            ])
        }
        self.rows = rows
    }
}

private let now = Date(timeIntervalSince1970: 1_748_736_000)  // 2025-06-01 00:00 UTC

private func evaluator(_ rules: [QualityRule] = allRules(), limits: QualityLimits = QualityLimits()) throws
    -> QualityEvaluator
{
    let fixture = try Fixture()
    return try QualityEvaluator(
        rules: rules, items: items, codeSets: [sex], referenceKeys: ["法人库": [fixture.employer]], limits: limits,
        today: today)
}

@Suite("Data quality rules (domain.md §6)")
struct QualityRuleTests {
    @Test("rules derived from the items: not null, type and length, checks, code set, uniqueness, birth date")
    func derivedRules() {
        let rules = QualityRule.derived(from: items)
        #expect(
            rules.map(\.id) == [
                "xm.notNull", "xm.typeAndLength", "sfzhm.notNull", "sfzhm.typeAndLength", "sfzhm.identifierCheck",
                "csrq.typeAndLength", "xb.codeSet", "sjhm.identifierCheck", "nl.typeAndLength",
                "dwxydm.identifierCheck", "sfzhm.uniqueness", "sfzhm~csrq.crossField",
            ])
        let dimensions = Dictionary(uniqueKeysWithValues: rules.map { ($0.id, $0.dimension) })
        #expect(dimensions["xm.notNull"] == .completeness)
        #expect(dimensions["xb.codeSet"] == .normativity)
        #expect(dimensions["sfzhm.identifierCheck"] == .accuracy)
        #expect(dimensions["sfzhm.uniqueness"] == .uniqueness)
        #expect(dimensions["sfzhm~csrq.crossField"] == .consistency)
        #expect(rules.first { $0.id == "sjhm.identifierCheck" }?.kind == .identifierCheck(.mobilePhone))
    }

    @Test("clean rows pass every rule and score 100")
    func cleanRows() throws {
        var run = try evaluator()
        try run.consume(try Fixture().rows)
        let report = run.report(lastUpdated: now.addingTimeInterval(-10 * 86_400), now: now)
        #expect(report.rowsChecked == 15)
        for result in report.rules {
            #expect(result.failed == 0, "\(result.rule.id): \(result.samples.map(\.reason.en))")
            #expect(result.checked > 0, "\(result.rule.id) checked nothing")
        }
        #expect(report.score == 100)
        #expect(report.dimension(.timeliness)?.score == 100)
    }

    @Test("each rule kind catches the one defect planted for it, and only that one")
    func plantedDefects() throws {
        let fixture = try Fixture()
        var rows = fixture.rows
        rows[1]["xm"] = ""
        let id = rows[2]["sfzhm"]!!
        rows[2]["sfzhm"] = String(id.dropLast()) + (id.last == "0" ? "1" : "0")
        rows[3]["csrq"] = "1981-01-01"
        rows[4]["xb"] = "3"
        rows[5]["nl"] = "200"
        rows[6]["yzbm"] = "23700A"
        rows[7]["dwxydm"] = fixture.stranger
        rows[8]["sfzhm"] = rows[0]["sfzhm"]!
        rows[8]["csrq"] = rows[0]["csrq"]!
        rows[9]["xm"] = String(repeating: "阿卜杜", count: 7)
        rows[10]["sjhm"] = "12345678901"
        rows[11]["nl"] = "12.5"
        rows[12]["dwxydm"] = String(fixture.employer.dropLast()) + (fixture.employer.last == "0" ? "1" : "0")
        var run = try evaluator()
        try run.consume(rows)
        let report = run.report(lastUpdated: now.addingTimeInterval(-40 * 86_400), now: now)
        let expected: [String: Int64] = [
            "xm.notNull": 2, "sfzhm.identifierCheck": 3, "sfzhm~csrq.crossField": 4, "xb.codeSet": 5, "nl.range": 6,
            "yzbm.pattern": 7, "sfzhm.uniqueness": 9, "xm.typeAndLength": 10, "sjhm.identifierCheck": 11,
            "nl.typeAndLength": 12, "dwxydm.identifierCheck": 13,
        ]
        for result in report.rules {
            switch result.rule.id {
            case "freshness":
                #expect(result.checked == 1 && result.failed == 1)
                #expect(result.note?.en == "last updated 40 days ago, beyond the 31 days a monthly cycle allows")
            case "dwxydm.referential":
                // The stranger's code and the mistyped one both lack a 法人库 record.
                #expect(result.failingRows == [8, 13])
            default:
                if let row = expected[result.rule.id] {
                    #expect(result.failed == 1, "\(result.rule.id)")
                    #expect(result.failingRows == [row], "\(result.rule.id)")
                    #expect(result.samples.map(\.row) == [row])
                } else {
                    #expect(result.failed == 0, "\(result.rule.id): \(result.samples.map(\.reason.en))")
                }
            }
        }
        #expect(report.score! < 100)
        #expect(report.dimension(.timeliness)?.score == 0)
        let codeSample = try #require(report.result(for: "xb.codeSet")?.samples.first)
        #expect(codeSample.maskedValue == "3")
        #expect(codeSample.reason.zh.hasPrefix("不在代码集 GB/T 2261.1-2003"))
    }

    @Test("failing samples show personal data masked by the item's rule, never raw")
    func samplesAreMasked() throws {
        var rows = try Fixture().rows
        let id = rows[2]["sfzhm"]!!
        let badID = String(id.dropLast()) + (id.last == "0" ? "1" : "0")
        rows[2]["sfzhm"] = badID
        rows[3]["sjhm"] = "12355640003"
        rows[4]["sfzhm"] = rows[0]["sfzhm"]!
        rows[4]["csrq"] = "1999-09-09"
        var run = try evaluator()
        try run.consume(rows)
        let report = run.report(lastUpdated: now, now: now)
        let idSample = try #require(report.result(for: "sfzhm.identifierCheck")?.samples.first)
        #expect(idSample.maskedValue == String(badID.prefix(1)) + String(repeating: "*", count: 15) + badID.suffix(2))
        #expect(try #require(report.result(for: "sjhm.identifierCheck")?.samples.first).maskedValue == "123****0003")
        let duplicate = try #require(report.result(for: "sfzhm.uniqueness")?.samples.first)
        #expect(duplicate.row == 5)
        #expect(duplicate.column == "sfzhm")
        #expect(!duplicate.maskedValue.contains("1980"))
        let crossField = try #require(report.result(for: "sfzhm~csrq.crossField")?.samples.first)
        #expect(crossField.maskedValue.filter { $0 == "*" }.count == 15)
        #expect(!crossField.maskedValue.contains("1999"))
        for sample in report.rules.flatMap(\.samples) {
            #expect(!sample.maskedValue.contains(id.dropFirst(6).prefix(8)))
        }
    }

    @Test("uniqueness catches a key repeated in a later batch, by the row numbers given")
    func uniquenessAcrossBatches() throws {
        let keyItems = [
            InfoItem(name: "信用代码", columnName: "xydm", dataType: .character, isKey: true),
            InfoItem(name: "年度", columnName: "nd", dataType: .character, isKey: true),
        ]
        let rule = QualityRule(id: "key", dimension: .uniqueness, columns: ["xydm", "nd"], kind: .uniqueness)
        var run = try QualityEvaluator(rules: [rule], items: keyItems, today: today)
        try run.consume(
            header: ["nd", "xydm"], rows: [["2023", "A"], ["2023", "B"], ["2024", "A"]], rowNumbers: [11, 12, 13])
        try run.consume(
            header: ["xydm", "nd"], rows: [["C", "2024"], ["A", "2023"], ["B", nil], ["B", "2023"]],
            rowNumbers: [101, 102, 103, 104])
        let result = try #require(run.report(lastUpdated: nil, now: now).result(for: "key"))
        #expect(result.checked == 6)
        #expect(result.failed == 2)
        #expect(result.failingRows == [102, 104])
        #expect(result.samples.map(\.maskedValue) == ["A | 2023", "B | 2023"])
    }

    @Test("dimension scores weight rules; the entry score weights dimensions")
    func weightedScore() throws {
        let plain = ["a", "b", "c"].map { InfoItem(name: $0, columnName: $0, dataType: .character) }
        let rules = [
            QualityRule(id: "a", dimension: .completeness, columns: ["a"], kind: .notNull, weight: 1),
            QualityRule(id: "b", dimension: .completeness, columns: ["b"], kind: .notNull, weight: 3),
            QualityRule(id: "c", dimension: .normativity, columns: ["c"], kind: .pattern("x+")),
        ]
        let rows: [[String: String?]] = [
            ["a": "1", "b": "1", "c": "x"], ["a": nil, "b": "1", "c": "xx"], ["b": " ", "c": "xxx"],
            ["a": "1", "b": "1"],
        ]
        var equal = try QualityEvaluator(rules: rules, items: plain, today: today)
        try equal.consume(rows)
        let report = equal.report(lastUpdated: nil, now: now)
        #expect(report.result(for: "a")?.passRate == 50)
        #expect(report.result(for: "b")?.passRate == 75)
        #expect(report.result(for: "c")?.checked == 3)
        #expect(report.dimension(.completeness)?.score == 68.75)
        #expect(report.dimension(.normativity)?.score == 100)
        #expect(report.dimension(.uniqueness)?.score == nil)
        #expect(report.score == 84.375)
        var weighted = try QualityEvaluator(
            rules: rules, items: plain, weights: QualityWeights([.completeness: 3, .normativity: 1]), today: today)
        try weighted.consume(rows)
        #expect(weighted.report(lastUpdated: nil, now: now).score == 76.5625)
    }

    @Test("a pattern must describe the whole value, not a part of it")
    func wholeValuePatterns() throws {
        let item = InfoItem(name: "邮政编码", columnName: "yzbm", dataType: .character)
        let rules = [
            QualityRule(id: "postcode", dimension: .normativity, columns: ["yzbm"], kind: .pattern("[0-9]{6}")),
            QualityRule(id: "alternation", dimension: .normativity, columns: ["yzbm"], kind: .pattern("23|237000")),
        ]
        var run = try QualityEvaluator(rules: rules, items: [item], today: today)
        try run.consume(header: ["yzbm"], rows: [["237000"], ["2370001"], ["邮编237000"], ["23"]])
        let report = run.report(lastUpdated: nil, now: now)
        #expect(report.result(for: "postcode")?.failingRows == [2, 3, 4])
        #expect(report.result(for: "alternation")?.failingRows == [2, 3])
    }

    @Test("freshness is judged once per run against the update cycle; 不定期 is not judged")
    func freshness() throws {
        let rules = [
            QualityRule(id: "daily", dimension: .timeliness, columns: [], kind: .freshness(.daily)),
            QualityRule(id: "yearly", dimension: .timeliness, columns: [], kind: .freshness(.yearly)),
            QualityRule(id: "irregular", dimension: .timeliness, columns: [], kind: .freshness(.irregular)),
        ]
        var run = try QualityEvaluator(rules: rules, items: [], today: today)
        try run.consume(Array(repeating: [:], count: 50))
        let report = run.report(lastUpdated: now.addingTimeInterval(-3 * 86_400), now: now)
        #expect(report.result(for: "daily").map { ($0.checked, $0.failed) } ?? (0, 0) == (1, 1))
        #expect(report.result(for: "yearly").map { ($0.checked, $0.failed) } ?? (0, 0) == (1, 0))
        #expect(report.result(for: "irregular")?.checked == 0)
        #expect(report.dimension(.timeliness)?.score == 50)
        let never = run.report(lastUpdated: nil, now: now)
        #expect(never.result(for: "yearly")?.failed == 1)
        #expect(never.result(for: "yearly")?.note?.en == "the resource has never been updated")
    }

    @Test("date ranges and the failing-row cap")
    func dateRangeAndCap() throws {
        let item = InfoItem(name: "发证日期", columnName: "fzrq", dataType: .date)
        let range = QualityRange.date(earliest: CalendarDate(year: 2000, month: 1, day: 1), latest: today)
        let rule = QualityRule(id: "fzrq", dimension: .accuracy, columns: ["fzrq"], kind: .range(range))
        var run = try QualityEvaluator(
            rules: [rule], items: [item], limits: QualityLimits(samplesPerRule: 2, failingRowsPerRule: 3), today: today)
        try run.consume([["fzrq": "2010-05-05"], ["fzrq": "1999-12-31"], ["fzrq": "2030-01-01"], ["fzrq": "2024/2/30"]])
        try run.consume([["fzrq": "1990-01-01"], ["fzrq": "2025-06-01"]])
        let result = try #require(run.report(lastUpdated: nil, now: now).result(for: "fzrq"))
        #expect(result.checked == 6)
        #expect(result.failed == 4)
        #expect(result.failingRows == [2, 3, 4])
        #expect(result.failingRowsTruncated)
        #expect(result.samples.map(\.reason.en) == ["is before 2000-01-01", "is after 2025-06-01"])
    }

    @Test("rules that cannot run are refused up front, each problem named")
    func badRules() {
        let rules = [
            QualityRule(id: "x", dimension: .completeness, columns: ["nope"], kind: .notNull),
            QualityRule(id: "x", dimension: .normativity, columns: ["xb"], kind: .codeSet("GB/T 9999")),
            QualityRule(id: "p", dimension: .normativity, columns: ["yzbm"], kind: .pattern("([0-9]")),
            QualityRule(id: "r", dimension: .referential, columns: ["dwxydm"], kind: .referential("法人库")),
            QualityRule(id: "n", dimension: .accuracy, columns: ["xm"], kind: .identifierCheck(.personName)),
            QualityRule(id: "c", dimension: .consistency, columns: ["sfzhm"], kind: .crossField),
            QualityRule(id: "w", dimension: .completeness, columns: ["xm"], kind: .notNull, weight: 0),
        ]
        let error = #expect(throws: ValidationError.self) {
            _ = try QualityEvaluator(rules: rules, items: items, today: today)
        }
        #expect(
            error?.issues.map(\.field) == [
                "rules[0].columns", "rules[1].id", "rules[1].kind", "rules[2].kind", "rules[3].kind", "rules[4].kind",
                "rules[5].columns", "rules[6].weight",
            ])
        #expect(error?.issues[3].message.contains("([0-9]") == true)
    }

    @Test("a positional batch must carry every column the rules read")
    func headerMustHaveColumns() throws {
        var run = try evaluator()
        #expect(throws: ValidationError.self) {
            try run.consume(header: ["xm", "sfzhm"], rows: [["张三", nil]])
        }
        #expect(run.report(lastUpdated: nil, now: now).rowsChecked == 0)
        #expect(throws: ValidationError.self) {
            try run.consume([["xm": "张三"]], rowNumbers: [1, 2])
        }
    }
}
