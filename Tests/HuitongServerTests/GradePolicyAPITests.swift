import Foundation
import HuitongDemo
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongCore
@testable import HuitongServer
@testable import HuitongServices

/// The grade policy matrix through `/api/v1/governance/grade-policy`, and entries held to it.
@Suite("Grade policy API")
struct GradePolicyAPITests {
    static let path = "/api/v1/governance/grade-policy"

    /// The matrix as the API reads it: `GradePolicy`'s own JSON form, which checks nothing, so that a test can
    /// send a matrix the policy would refuse.
    typealias Matrix = GradePolicy.File

    /// The seed with 一般数据2级 opened without conditions, as a bureau that publishes registry data might set it, and
    /// 一般数据4级 and above hidden entirely by default.
    static let openSecondGrade = Matrix(grades: [
        "general1": GradeRule(shareType: .unconditional, openness: .unconditional, masking: .none),
        "general2": GradeRule(shareType: .unconditional, openness: .unconditional, masking: .none),
        "general3": GradeRule(shareType: .conditional, openness: .closed, masking: .byKind),
        "general4": GradeRule(shareType: .conditional, openness: .closed, masking: .all),
        "important": GradeRule(shareType: .conditional, openness: .closed, masking: .all),
        "core": GradeRule(shareType: .notShared, openness: .closed, masking: .all),
    ])

    static func companies(openness: Openness, openCondition: String? = nil) -> CatalogAPI.EntryInput {
        CatalogAPI.EntryInput(
            classificationCode: "105001", name: "企业登记信息", abstract: "企业登记事项。",
            formats: [ResourceFormat(category: .database, type: "Oracle")],
            items: [
                CatalogAPI.ItemInput(
                    name: "统一社会信用代码", columnName: "tyshxydm", dataType: .character, isKey: true,
                    shareType: .unconditional, grade: .general1, semanticKind: .creditCode),
                CatalogAPI.ItemInput(
                    name: "法定代表人", columnName: "fddbr", dataType: .character, shareType: .unconditional,
                    grade: .general2, semanticKind: .personName),
            ],
            shareType: .unconditional, openness: openness, openCondition: openCondition, updateCycle: .daily)
    }

    @Test(
        "everyone reads the matrix; only the operator changes it, checked whole, and the change is kept",
        arguments: TestBackend.available)
    func readAndChange(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let unsigned = try await client.status(.get, Self.path)
            #expect(unsigned == .unauthorized)
            let (status, seed) = try await client.send(
                .get, Self.path, token: city.consumer, as: GradePolicyAPI.Body.self)
            #expect(status == .ok && seed.source == "seed")
            let grades = seed.grades
            #expect(Set(grades.keys) == Set(SecurityGrade.allCases.map(\.rawValue)))
            #expect(grades["general4"] == GradeRule(shareType: .conditional, openness: .closed, masking: .byKind))
            #expect(grades["general2"]?.openness == .conditional)

            let forbidden = try await client.status(.put, Self.path, token: city.provider, input: Self.openSecondGrade)
            #expect(forbidden == .forbidden)
            var looser = Self.openSecondGrade
            looser.grades["general4"]?.openness = .unconditional
            let (refused, refusal) = try await client.failure(
                .put, Self.path, token: node.operatorToken, input: looser)
            #expect(refused == .badRequest && refusal.fields == ["grades.general4.openness"])
            // A masking the matrix does not know: only hand-written JSON can send it.
            let (badValue, _) = try await client.failure(
                .put, Self.path, token: node.operatorToken,
                json: """
                    {"grades": {
                      "general1": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
                      "general2": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
                      "general3": {"shareType": "conditional", "openness": "closed", "masking": "sometimes"},
                      "general4": {"shareType": "conditional", "openness": "closed", "masking": "all"},
                      "important": {"shareType": "conditional", "openness": "closed", "masking": "all"},
                      "core": {"shareType": "notShared", "openness": "closed", "masking": "all"}}}
                    """)
            #expect(badValue == .badRequest)
            #expect(try await node.store.gradePolicy.current() == nil, "nothing of a refused change is kept")

            let (saved, body) = try await client.send(
                .put, Self.path, token: node.operatorToken, input: Self.openSecondGrade, as: GradePolicyAPI.Body.self)
            #expect(saved == .ok && body.source == "operator" && body.updatedBy == "管理员")
            let (_, reread) = try await client.send(.get, Self.path, token: city.provider, as: GradePolicyAPI.Body.self)
            #expect(reread.grades["general2"]?.openness == .unconditional)
            #expect(try await node.store.gradePolicy.current()?.policy.rule(for: .general4).masking == .all)
        }
    }

    @Test("an entry looser than its grade allows is refused, naming the item; the matrix decides what is too loose")
    func looseEntries() async throws {
        try await TestNode.run { node, client in
            let city = try await CatalogAPITests.city(node)
            let (tooFree, refusal) = try await client.failure(
                .post, "/api/v1/catalog/entries", token: city.provider,
                input: CatalogAPITests.entry(shareType: .unconditional, openness: .closed))
            #expect(tooFree == .badRequest && refusal.fields == ["shareType"])
            #expect(refusal.error.details.first?.message.contains("身份证号码") == true)

            let (opened, openRefusal) = try await client.failure(
                .post, "/api/v1/catalog/entries", token: city.provider, input: Self.companies(openness: .unconditional))
            #expect(opened == .badRequest && openRefusal.fields == ["openness"], "一般2级 opens on conditions")
            let (created, entry) = try await client.send(
                .post, "/api/v1/catalog/entries", token: city.provider,
                input: Self.companies(openness: .conditional, openCondition: "实名认证"), as: CatalogEntry.self)
            #expect(created == .created)
            let id = entry.id
            let stillRefused = try await client.status(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                input: Self.companies(openness: .unconditional))
            #expect(stillRefused == .badRequest, "an update is held to the matrix too")

            try await client.status(.put, Self.path, token: node.operatorToken, input: Self.openSecondGrade)
            let allowed = try await client.status(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                input: Self.companies(openness: .unconditional))
            #expect(allowed == .ok, "once the operator opens 一般2级, the same entry may be open")
        }
    }

    @Test("a catalog sheet with an entry looser than its grade imports nothing and reports the row and item")
    func looseSheet() async throws {
        try await TestNode.run { node, client in
            let city = try await CatalogAPITests.city(node)
            var population = CatalogTransferTests.population
            population["共享类型"] = "无条件共享"
            population["信息项安全级别"] = "一般数据4级"
            let rows = [CatalogTransferTests.header, CatalogTransferTests.row(population)]
            let (status, report) = try await CatalogTransferTests().upload(
                client, CSVWriter.encode(rows: rows), format: "csv", token: city.provider)
            #expect(status == .unprocessableContent)
            let error = try #require(report.errors.first)
            #expect(error.row == 2 && error.column == "共享类型")
            #expect(error.message.contains("身份证号码"))
            #expect(try await node.store.catalog.count(status: nil) == 0)
        }
    }

    @Test("grading suggestions take masking and share type from the matrix")
    func suggestionsFollowTheMatrix() async throws {
        try await DemoPoolsTests.withDemo(.sqlite) { store, client in
            let population = try await DemoPoolsTests.entry(store, "人口基础信息")
            let provider = try await DemoPoolsTests.token(store, "gaj.provider")
            let operatorToken = try await DemoPoolsTests.token(store, "admin")
            let uri = "/api/v1/catalog/entries/\(population.id)/grading-suggestions"
            func items() async throws -> [String: GradingSuggestionsAPI.ItemSuggestion] {
                let (_, body) = try await client.send(.get, uri, token: provider, as: GradingSuggestionsAPI.Body.self)
                return Dictionary(uniqueKeysWithValues: body.items.map { ($0.columnName, $0) })
            }
            let before = try await items()
            #expect(before["sfzhm"]?.suggestedShareType == .conditional)
            #expect(before["xzqhdm"]?.suggestedShareType == .unconditional)
            #expect(before["xm"]?.suggested.masking == .keep(first: 1, last: 0))
            let (_, whole) = try await client.send(.get, uri, token: provider, as: GradingSuggestionsAPI.Body.self)
            #expect(
                (whole.entry.grade, whole.entry.shareType, whole.entry.openness) == (.general4, .conditional, .closed))

            let saved = try await client.status(.put, Self.path, token: operatorToken, input: Self.openSecondGrade)
            #expect(saved == .ok)
            let after = try await items()
            #expect(
                after["sfzhm"]?.suggested.masking == .all && after["sfzhm"]?.current.masking == .all, "一般4级 now hidden")
            #expect(after["xm"]?.suggested.masking == .keep(first: 1, last: 0), "一般3级 still masks by kind")
        }
    }
}
