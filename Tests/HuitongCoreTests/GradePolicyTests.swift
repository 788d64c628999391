import Foundation
import HuitongCore
import Testing

/// The grade policy matrix: what each security grade allows, and entries held to it.
@Suite("Grade policy")
struct GradePolicyTests {
    /// domain.md §4.2's recommended matrix, as the seed file has it.
    static let matrix = Data(
        """
        {"grades": {
          "general1": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
          "general2": {"shareType": "unconditional", "openness": "conditional", "masking": "none"},
          "general3": {"shareType": "conditional", "openness": "closed", "masking": "byKind"},
          "general4": {"shareType": "conditional", "openness": "closed", "masking": "byKind"},
          "important": {"shareType": "conditional", "openness": "closed", "masking": "byKind"},
          "core": {"shareType": "notShared", "openness": "closed", "masking": "all"}}}
        """.utf8)

    static func entry(
        items: [(name: String, column: String, kind: SemanticKind, grade: SecurityGrade)],
        grade: SecurityGrade = .general1, shareType: ShareType, openness: Openness
    ) throws -> CatalogEntryContent {
        try CatalogEntryContent(
            classificationCode: "101001", name: "人口基础信息", abstract: "全市户籍人口。",
            formats: [ResourceFormat(category: .database, type: "Oracle")],
            items: items.enumerated().map { index, item in
                InfoItem(
                    name: item.name, columnName: item.column, dataType: .character, isKey: index == 0,
                    shareType: shareType, grade: item.grade, semanticKind: item.kind)
            },
            shareType: shareType, shareCondition: "身份核验", openness: openness, openCondition: "实名认证",
            updateCycle: .daily, grade: grade
        ).validated()
    }

    @Test("each grade has its defaults, and masking follows the grade and the kind of data")
    func defaults() throws {
        let policy = try GradePolicy.decode(Self.matrix)
        #expect(
            policy.rule(for: .general1)
                == GradeRule(shareType: .unconditional, openness: .unconditional, masking: .none))
        #expect(
            policy.rule(for: .general4).shareType == .conditional && policy.rule(for: .general4).openness == .closed)
        #expect(policy.rule(for: .core).shareType == .notShared)
        let masking = MaskingPolicy.builtIn
        #expect(policy.masking(for: .general1, kind: .personName, policy: masking) == .none, "public names stay")
        #expect(policy.masking(for: .general3, kind: .personName, policy: masking) == .keep(first: 1, last: 0))
        #expect(policy.masking(for: .general4, kind: .residentID, policy: masking) == .keep(first: 1, last: 2))
        #expect(policy.masking(for: .core, kind: .other, policy: masking) == .all)
        let again = try JSONDecoder().decode(GradePolicy.self, from: try JSONEncoder().encode(policy))
        #expect(again == policy)
    }

    @Test(
        "encryption at rest follows masking unless set; byKind encrypts personal identifiers, each by its own grade; a higher grade may not encrypt less"
    )
    func encryption() throws {
        let policy = try GradePolicy.decode(Self.matrix)
        #expect(policy.rule(for: .general2).encryption == .none && policy.rule(for: .general3).encryption == .byKind)
        #expect(policy.rule(for: .core).encryption == .all)
        let content = try Self.entry(
            items: [
                ("公民身份号码", "sfzhm", .residentID, .general3), ("姓名", "xm", .personName, .general3),
                ("手机号码", "sjhm", .mobilePhone, .general2), ("行政区划", "xzqhdm", .regionCode, .general3),
                ("出生日期", "csrq", .other, .general3),
            ], shareType: .conditional, openness: .closed)
        #expect(policy.columnsEncryptedAtRest(content) == ["sfzhm"], "a general-2 phone and a name stay clear")
        var stricter = policy.rules
        stricter[.general2]?.encryption = .byKind
        #expect(try GradePolicy(rules: stricter).columnsEncryptedAtRest(content) == ["sfzhm", "sjhm"])
        stricter[.general3]?.encryption = .all
        stricter[.general4]?.encryption = .all
        stricter[.important]?.encryption = .all
        #expect(try GradePolicy(rules: stricter).columnsEncryptedAtRest(content).count == 5)
        var looser = policy.rules
        looser[.important]?.encryption = .none
        let error = #expect(throws: ValidationError.self) { try GradePolicy(rules: looser) }
        #expect(error?.issues.map(\.field) == ["grades.important.encryption"])
    }

    @Test("a matrix missing a grade, naming an unknown one, or looser at a higher grade is refused, with the place")
    func invalidMatrix() throws {
        func fields(_ json: String) -> [String] {
            do {
                _ = try GradePolicy.decode(Data(json.utf8))
                return []
            } catch {
                return error.issues.map(\.field)
            }
        }
        let text = String(decoding: Self.matrix, as: UTF8.self)
        #expect(
            fields(
                text.replacingOccurrences(
                    of: #""general4": {"shareType": "conditional", "openness": "closed""#,
                    with: #""general4": {"shareType": "unconditional", "openness": "unconditional""#))
                == ["grades.general4.shareType", "grades.general4.openness"])
        #expect(fields(text.replacingOccurrences(of: "\"core\"", with: "\"secret\"")) == ["grades.secret"])
        #expect(
            fields(
                #"{"grades": {"general1": {"shareType": "unconditional", "openness": "closed", "masking": "none"}}}"#
            )
            .contains("grades.core"))
        #expect(fields("[1, 2]") == ["grade-policy.json"])
    }

    @Test("an entry takes its highest item's grade (就高从严), and a higher declared grade stays")
    func highestItemGrade() throws {
        let items: [(name: String, column: String, kind: SemanticKind, grade: SecurityGrade)] = [
            ("身份证号码", "sfzhm", .residentID, .general4), ("姓名", "xm", .personName, .general3),
        ]
        #expect(try Self.entry(items: items, shareType: .conditional, openness: .closed).grade == .general4)
        #expect(
            try Self.entry(items: items, grade: .important, shareType: .conditional, openness: .closed).grade
                == .important)
    }

    @Test("an entry shared or opened more loosely than its grade allows is refused, naming the item that decides")
    func looseness() throws {
        let policy = try GradePolicy.decode(Self.matrix)
        let population: [(name: String, column: String, kind: SemanticKind, grade: SecurityGrade)] = [
            ("身份证号码", "sfzhm", .residentID, .general4), ("姓名", "xm", .personName, .general3),
        ]
        #expect(throws: Never.self) {
            try policy.check(try Self.entry(items: population, shareType: .conditional, openness: .closed))
        }
        let loose = try Self.entry(items: population, shareType: .unconditional, openness: .conditional)
        let error = try #require(throws: ValidationError.self) { try policy.check(loose) }
        #expect(error.issues.map(\.field) == ["shareType", "openness"])
        #expect(error.issues.allSatisfy { $0.message.contains("身份证号码") && $0.message.contains("sfzhm") })
        let companies: [(name: String, column: String, kind: SemanticKind, grade: SecurityGrade)] = [
            ("统一社会信用代码", "tyshxydm", .creditCode, .general1), ("法定代表人", "fddbr", .personName, .general2),
        ]
        let opened = try Self.entry(items: companies, shareType: .unconditional, openness: .unconditional)
        #expect(policy.problems(opened).map(\.field) == ["openness"], "一般2级 opens on conditions only")
        #expect(policy.problems(opened).first?.message.zh.contains("法定代表人") == true)
        let declared = try Self.entry(
            items: [("统一社会信用代码", "tyshxydm", .creditCode, .general1)], grade: .general3, shareType: .unconditional,
            openness: .closed)
        #expect(policy.problems(declared).first?.message.zh.contains("目录的安全级别为一般数据3级") == true)
    }
}
