import Foundation
import HuitongCore
import HuitongDemo
import HuitongIngest
import HuitongServer
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The grade policy matrix through `/api/v1/governance/grade-policy`, and entries held to it.
@Suite("Grade policy API")
struct GradePolicyAPITests {
    static let path = "/api/v1/governance/grade-policy"

    /// The seed with 一般数据2级 opened without conditions, as a bureau that publishes registry data might set it, and
    /// 一般数据4级 and above hidden entirely by default.
    static let openSecondGrade = """
        {"grades": {
          "general1": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
          "general2": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
          "general3": {"shareType": "conditional", "openness": "closed", "masking": "byKind"},
          "general4": {"shareType": "conditional", "openness": "closed", "masking": "all"},
          "important": {"shareType": "conditional", "openness": "closed", "masking": "all"},
          "core": {"shareType": "notShared", "openness": "closed", "masking": "all"}}}
        """

    static func companiesJSON(openness: String) -> String {
        """
        {"classificationCode": "105001", "name": "企业登记信息", "abstract": "企业登记事项。",
         "formats": [{"category": "database", "type": "Oracle"}], "shareType": "unconditional",
         "openness": "\(openness)", "updateCycle": "daily",
         "items": [
           {"name": "统一社会信用代码", "columnName": "tyshxydm", "dataType": "C", "isKey": true,
            "shareType": "unconditional", "semanticKind": "creditCode", "grade": "general1"},
           {"name": "法定代表人", "columnName": "fddbr", "dataType": "C", "shareType": "unconditional",
            "semanticKind": "personName", "grade": "general2"}]}
        """
    }

    @Test(
        "everyone reads the matrix; only the operator changes it, checked whole, and the change is kept",
        arguments: TestBackend.available)
    func readAndChange(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (unsigned, _, _) = try await client.json(.get, Self.path)
            #expect(unsigned == .unauthorized)
            let (status, seed, _) = try await client.json(.get, Self.path, token: city.consumer)
            #expect(status == .ok && seed["source"] as? String == "seed")
            let grades = try #require(seed["grades"] as? [String: [String: String]])
            #expect(Set(grades.keys) == Set(SecurityGrade.allCases.map(\.rawValue)))
            #expect(grades["general4"] == ["shareType": "conditional", "openness": "closed", "masking": "byKind"])
            #expect(grades["general2"]?["openness"] == "conditional")

            let (forbidden, _, _) = try await client.json(
                .put, Self.path, token: city.provider, body: Self.openSecondGrade)
            #expect(forbidden == .forbidden)
            let looser = Self.openSecondGrade.replacingOccurrences(
                of: #""general4": {"shareType": "conditional", "openness": "closed""#,
                with: #""general4": {"shareType": "conditional", "openness": "unconditional""#)
            let (refused, refusal, _) = try await client.json(
                .put, Self.path, token: node.operatorToken, body: looser)
            #expect(refused == .badRequest && apiError(refusal).fields == ["grades.general4.openness"])
            let (badValue, _, _) = try await client.json(
                .put, Self.path, token: node.operatorToken,
                body: Self.openSecondGrade.replacingOccurrences(of: "\"byKind\"", with: "\"sometimes\""))
            #expect(badValue == .badRequest)
            #expect(try await node.store.gradePolicy.current() == nil, "nothing of a refused change is kept")

            let (saved, body, _) = try await client.json(
                .put, Self.path, token: node.operatorToken, body: Self.openSecondGrade)
            #expect(saved == .ok && body["source"] as? String == "operator" && body["updatedBy"] as? String == "管理员")
            let (_, reread, _) = try await client.json(.get, Self.path, token: city.provider)
            #expect((reread["grades"] as? [String: [String: String]])?["general2"]?["openness"] == "unconditional")
            #expect(try await node.store.gradePolicy.current()?.policy.rule(for: .general4).masking == .all)
        }
    }

    @Test("an entry looser than its grade allows is refused, naming the item; the matrix decides what is too loose")
    func looseEntries() async throws {
        try await TestNode.run { node, client in
            let city = try await CatalogAPITests.city(node)
            let (tooFree, refusal, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider,
                body: CatalogAPITests.entryJSON(shareType: "unconditional", openness: "closed"))
            #expect(tooFree == .badRequest && apiError(refusal).fields == ["shareType"])
            let message = ((refusal["error"] as? [String: Any])?["details"] as? [[String: Any]])?.first?["message"]
            #expect((message as? String)?.contains("身份证号码") == true)

            let (opened, openRefusal, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider,
                body: Self.companiesJSON(openness: "unconditional"))
            #expect(opened == .badRequest && apiError(openRefusal).fields == ["openness"], "一般2级 opens on conditions")
            let (created, entry, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider,
                body: Self.companiesJSON(openness: "conditional").replacingOccurrences(
                    of: #""updateCycle""#, with: #""openCondition": "实名认证", "updateCycle""#))
            #expect(created == .created)
            let id = try #require(entry["id"] as? Int)
            let (stillRefused, _, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                body: Self.companiesJSON(openness: "unconditional"))
            #expect(stillRefused == .badRequest, "an update is held to the matrix too")

            _ = try await client.json(.put, Self.path, token: node.operatorToken, body: Self.openSecondGrade)
            let (allowed, _, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                body: Self.companiesJSON(openness: "unconditional"))
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
            let error = try #require((report["errors"] as? [[String: Any]])?.first)
            #expect(error["row"] as? Int == 2 && error["column"] as? String == "共享类型")
            #expect((error["message"] as? String)?.contains("身份证号码") == true)
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
            func items() async throws -> [String: [String: Any]] {
                let (_, body, _) = try await client.json(.get, uri, token: provider)
                return Dictionary(
                    uniqueKeysWithValues: (body["items"] as? [[String: Any]] ?? []).map {
                        ($0["columnName"] as? String ?? "", $0)
                    })
            }
            let before = try await items()
            #expect(before["sfzhm"]?["suggestedShareType"] as? String == "conditional")
            #expect(before["xzqhdm"]?["suggestedShareType"] as? String == "unconditional")
            #expect(
                (before["xm"]?["suggested"] as? [String: Any])?["masking"] as? [String: [String: Int]]
                    == ["keep": ["first": 1, "last": 0]])
            let (_, whole, _) = try await client.json(.get, uri, token: provider)
            #expect(
                whole["entry"] as? [String: String]
                    == ["grade": "general4", "shareType": "conditional", "openness": "closed"])

            let (saved, _, _) = try await client.json(
                .put, Self.path, token: operatorToken, body: Self.openSecondGrade)
            #expect(saved == .ok)
            let after = try await items()
            func rule(_ column: String, _ side: String) -> Set<String>? {
                ((after[column]?[side] as? [String: Any])?["masking"] as? [String: Any]).map { Set($0.keys) }
            }
            #expect(rule("sfzhm", "suggested") == ["all"] && rule("sfzhm", "current") == ["all"], "一般4级 now hidden")
            #expect(
                (after["xm"]?["suggested"] as? [String: Any])?["masking"] as? [String: [String: Int]]
                    == ["keep": ["first": 1, "last": 0]], "一般3级 still masks by kind")
        }
    }
}
