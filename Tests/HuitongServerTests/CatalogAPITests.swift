import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The catalog as officers use it through `/api/v1`.
@Suite("Catalog API")
struct CatalogAPITests {
    /// A city with a police bureau (provider) and a social-security bureau (consumer), and a 目 to file under.
    struct City {
        let police: Department
        let provider: String
        let consumer: String
        let otherProvider: String
    }

    static func city(_ node: TestNode) async throws -> City {
        try await node.store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
            ClassificationNode(scheme: "guide", code: "105001", name: "营业执照"),
        ])
        let police = try await node.department("GAJ")
        let social = try await node.department("RSJ")
        let (_, provider) = try await node.user("gaj.provider", department: police, roles: [.provider])
        let (_, consumer) = try await node.user("rsj.consumer", department: social, roles: [.consumer])
        let (_, otherProvider) = try await node.user("rsj.provider", department: social, roles: [.provider])
        return City(police: police, provider: provider, consumer: consumer, otherProvider: otherProvider)
    }

    static func entryJSON(
        name: String = "人口基础信息", classification: String = "101001", extraItem: String = "",
        shareType: String = "conditional", openness: String = "closed", note: String = "", keyGrade: String = "general4"
    ) -> String {
        """
        {"classificationCode": "\(classification)", "name": "\(name)", "abstract": "全市户籍人口的基础信息",
         "formats": [{"category": "database", "type": "Oracle"}], "shareType": "\(shareType)",
         "shareCondition": "用于身份核验", "openness": "\(openness)", "openCondition": "实名认证",
         "updateCycle": "daily", "keywords": ["人口"], "note": "\(note)",
         "items": [
           {"name": "身份证号码", "columnName": "sfzhm", "dataType": "C", "length": 18, "isKey": true,
            "semanticKind": "residentID", "grade": "\(keyGrade)"},
           {"name": "姓名", "columnName": "xm", "dataType": "C", "length": 50, "semanticKind": "personName"}
           \(extraItem)
         ]}
        """
    }

    @Test("an entry is found by its resource code in any status its caller may see", arguments: TestBackend.available)
    func lookupByCode(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: Self.entryJSON())
            let code = try #require(created["code"] as? String)
            let uri =
                "/api/v1/catalog/entries?code=\(code.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let (status, found, _) = try await client.json(.get, uri, token: city.provider)
            #expect(status == .ok && found["total"] as? Int == 1)
            #expect((found["items"] as? [[String: Any]])?.first?["id"] as? Int == created["id"] as? Int)
            #expect(try await client.json(.get, uri, token: node.operatorToken).1["total"] as? Int == 1)
            // A draft is its department's business until published.
            #expect(try await client.json(.get, uri, token: city.otherProvider).1["total"] as? Int == 0)
            let (_, missing, _) = try await client.json(
                .get, "/api/v1/catalog/entries?code=999999/0001", token: city.provider)
            #expect(missing["total"] as? Int == 0 && (missing["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(
        "an entry goes from draft to published, and a revision is versioned and diffed",
        arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let (status, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: Self.entryJSON())
            #expect(status == .created)
            #expect(created["code"] as? String == "101001/0001")
            #expect(created["status"] as? String == "draft")
            let id = created["id"] as! Int
            let provider = created["provider"] as? [String: Any]
            #expect(provider?["name"] as? String == "部门 GAJ")

            // Other departments cannot see a draft, nor create entries as consumers.
            #expect(try await client.json(.get, "/api/v1/catalog/entries/\(id)", token: city.consumer).0 == .notFound)
            #expect(
                try await client.json(.post, "/api/v1/catalog/entries", token: city.consumer, body: Self.entryJSON()).0
                    == .forbidden)

            #expect(
                try await client.json(.post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken).0
                    == .conflict)
            #expect(try await client.json(.post, "/api/v1/catalog/entries/\(id)/submit", token: city.provider).0 == .ok)
            let (returnStatus, returnBody, _) = try await client.json(
                .post, "/api/v1/catalog/entries/\(id)/return", token: node.operatorToken, body: "{}")
            #expect(returnStatus == .badRequest)
            #expect(apiError(returnBody).fields == ["comment"])
            #expect(
                try await client.json(.post, "/api/v1/catalog/entries/\(id)/publish", token: city.provider).0
                    == .forbidden)
            let (published, publishedBody, _) = try await client.json(
                .post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken, body: #"{"comment": "同意发布"}"#
            )
            #expect(published == .ok)
            #expect(publishedBody["publishedOn"] as? String == CalendarDate.today().description)
            #expect(try await client.json(.get, "/api/v1/catalog/entries/\(id)", token: city.consumer).0 == .ok)

            // Another department's provider may read but not change it.
            #expect(
                try await client.json(
                    .put, "/api/v1/catalog/entries/\(id)", token: city.otherProvider, body: Self.entryJSON()
                )
                .0 == .forbidden)

            let revision = Self.entryJSON(
                extraItem: #", {"name": "手机号码", "columnName": "sjhm", "dataType": "C", "length": 11}"#,
                note: "增加手机号码")
            let (revised, revisedBody, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider, body: revision)
            #expect(revised == .ok)
            #expect(revisedBody["version"] as? Int == 2)
            #expect(revisedBody["status"] as? String == "published")

            let (_, versions, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)/versions", token: city.consumer)
            #expect((versions["items"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == [1, 2])
            let (_, diff, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)/diff?from=1&to=2", token: city.consumer)
            let changes = diff["changes"] as? [[String: Any]] ?? []
            #expect(changes.compactMap { $0["field"] as? String } == ["items.sjhm"])
            #expect((changes.first?["after"] as? String)?.contains("手机号码") == true)
            let (badDiff, badDiffBody, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)/diff?from=9", token: city.consumer)
            #expect(badDiff == .badRequest && apiError(badDiffBody).fields == ["from"])

            let (_, history, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)/history", token: city.provider)
            #expect(
                (history["items"] as? [[String: Any]])?.compactMap { $0["action"] as? String }
                    == ["created", "submit", "publish", "revised"])

            // Opening a live entry to the public is not the provider's call alone.
            let (opened, openedBody, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                body: Self.entryJSON(
                    extraItem: #", {"name": "手机号码", "columnName": "sjhm", "dataType": "C", "length": 11}"#,
                    openness: "conditional"))
            #expect(opened == .conflict && apiError(openedBody).code == "review_required")

            // Classification and code are frozen after publication.
            let (moved, movedBody, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                body: Self.entryJSON(classification: "105001"))
            #expect(moved == .conflict)
            #expect(apiError(movedBody).code == "resource_code_frozen")

            let (withdrawn, withdrawnBody, _) = try await client.json(
                .post, "/api/v1/catalog/entries/\(id)/withdraw", token: city.provider, body: #"{"comment": "系统升级"}"#)
            #expect(withdrawn == .ok && withdrawnBody["status"] as? String == "offline")
        }
    }

    @Test(
        "an item that is not shared must cite a negative-list row with a legal basis", arguments: TestBackend.available)
    func negativeList(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let withheld = #", {"name": "宗教信仰", "columnName": "zjxy", "dataType": "C", "shareType": "notShared"}"#
            let (rejected, rejectedBody, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: Self.entryJSON(extraItem: withheld))
            #expect(rejected == .badRequest)
            #expect(apiError(rejectedBody).fields == ["items[2].negativeListID"])
            let message = ((rejectedBody["error"] as? [String: Any])?["details"] as? [[String: Any]])?.first?["message"]
            #expect((message as? String)?.contains("法律、行政法规") == true)

            let (noBasis, noBasisBody, _) = try await client.json(
                .post, "/api/v1/lists/negative", token: city.provider,
                body: #"{"kind": "notShared", "resource": "人口基础信息", "reason": "敏感", "legalBasis": " "}"#)
            #expect(noBasis == .badRequest && apiError(noBasisBody).fields == ["legalBasis"])
            let (created, row, _) = try await client.json(
                .post, "/api/v1/lists/negative", token: city.provider,
                body:
                    #"{"kind": "notShared", "resource": "人口基础信息", "items": "宗教信仰", "reason": "敏感个人信息", "legalBasis": "《个人信息保护法》第二十八条"}"#
            )
            #expect(created == .created)
            let rowID = row["id"] as! Int
            #expect(row["departmentID"] as? Int == Int(city.police.id))

            let cited =
                #", {"name": "宗教信仰", "columnName": "zjxy", "dataType": "C", "shareType": "notShared", "negativeListID": \#(rowID)}"#
            let (accepted, entry, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: Self.entryJSON(extraItem: cited))
            #expect(accepted == .created)
            #expect(((entry["content"] as? [String: Any])?["items"] as? [[String: Any]])?.count == 3)
            #expect(
                try await client.json(.delete, "/api/v1/lists/negative/\(rowID)", token: city.provider).0 == .conflict)
            // Another department cannot edit this department's row.
            #expect(
                try await client.json(
                    .put, "/api/v1/lists/negative/\(rowID)", token: city.otherProvider,
                    body: #"{"kind": "notShared", "resource": "x", "reason": "y", "legalBasis": "z"}"#
                ).0 == .forbidden)
        }
    }

    @Test(
        "search answers Chinese substrings with facets, and rejects unknown filter values",
        arguments: TestBackend.available)
    func search(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            for (name, classification, share) in [
                ("企业营业执照信息", "105001", "unconditional"), ("人口基础信息", "101001", "conditional"),
                ("户籍迁移信息", "101001", "conditional"),
            ] {
                let (_, entry, _) = try await client.json(
                    .post, "/api/v1/catalog/entries", token: city.provider,
                    body: Self.entryJSON(
                        name: name, classification: classification, shareType: share,
                        keyGrade: share == "unconditional" ? "general1" : "general4"))
                let id = entry["id"] as! Int
                _ = try await client.json(.post, "/api/v1/catalog/entries/\(id)/submit", token: city.provider)
                _ = try await client.json(.post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken)
            }
            let (status, found, _) = try await client.json(
                .get, "/api/v1/catalog/entries?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7", token: city.consumer)
            #expect(status == .ok)
            #expect(
                (found["items"] as? [[String: Any]])?.compactMap {
                    ($0["content"] as? [String: Any])?["name"] as? String
                } == ["企业营业执照信息"])

            let (_, all, _) = try await client.json(.get, "/api/v1/catalog/entries?pageSize=2", token: city.consumer)
            #expect(all["total"] as? Int == 3)
            #expect((all["items"] as? [Any])?.count == 2)
            let facets = all["facets"] as? [String: [[String: Any]]] ?? [:]
            let shareCounts = Dictionary(
                uniqueKeysWithValues: (facets["shareType"] ?? []).map { ($0["value"] as! String, $0["count"] as! Int) })
            #expect(shareCounts == ["conditional": 2, "unconditional": 1])

            let (_, filtered, _) = try await client.json(
                .get, "/api/v1/catalog/entries?shareType=%E6%9C%89%E6%9D%A1%E4%BB%B6%E5%85%B1%E4%BA%AB&facets=none",
                token: city.consumer)
            #expect(filtered["total"] as? Int == 2)
            #expect((filtered["facets"] as? [String: Any])?.isEmpty == true)

            // Asking for drafts too shows every department's published entries and only one's own drafts.
            _ = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.otherProvider, body: Self.entryJSON(name: "参保人员信息"))
            let (_, withDrafts, _) = try await client.json(
                .get, "/api/v1/catalog/entries?status=published,draft&facets=none", token: city.otherProvider)
            #expect(withDrafts["total"] as? Int == 4)
            let (_, othersDrafts, _) = try await client.json(
                .get, "/api/v1/catalog/entries?status=published,draft&facets=none", token: city.provider)
            #expect(othersDrafts["total"] as? Int == 3)
            let (_, operatorView, _) = try await client.json(
                .get, "/api/v1/catalog/entries?status=draft&facets=none", token: node.operatorToken)
            #expect(operatorView["total"] as? Int == 1)

            let (bad, badBody, _) = try await client.json(
                .get, "/api/v1/catalog/entries?shareType=sometimes&pageSize=1000", token: city.consumer)
            #expect(bad == .badRequest)
            #expect(Set(apiError(badBody).fields) == ["shareType", "pageSize"])
        }
    }

    @Test("coverage, 挂接率 and the system registry through the API", arguments: TestBackend.available)
    func coverageAndMounts(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let (systemStatus, system, _) = try await client.json(
                .post, "/api/v1/information-systems", token: city.provider,
                body: #"{"name": "人口信息管理系统", "description": "户籍业务系统"}"#)
            #expect(systemStatus == .created && system["status"] as? String == "inUse")
            let (_, entry, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: Self.entryJSON())
            let id = entry["id"] as! Int
            _ = try await client.json(.post, "/api/v1/catalog/entries/\(id)/submit", token: city.provider)
            _ = try await client.json(.post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken)

            for (resource, basis) in [("人口基础信息", "户籍管理"), ("流动人口居住登记信息", "流动人口管理")] {
                let (status, _, _) = try await client.json(
                    .post, "/api/v1/lists/responsibility", token: node.operatorToken,
                    body: #"{"departmentID": \#(city.police.id), "basis": "\#(basis)", "resourceName": "\#(resource)"}"#
                )
                #expect(status == .created)
            }
            #expect(
                try await client.json(
                    .post, "/api/v1/lists/responsibility", token: city.provider,
                    body: #"{"departmentID": \#(city.police.id), "basis": "x", "resourceName": "y"}"#
                ).0 == .forbidden)
            let (_, coverage, _) = try await client.json(
                .get, "/api/v1/lists/responsibility/coverage", token: city.consumer)
            #expect(coverage["promised"] as? Int == 2 && coverage["fulfilled"] as? Int == 1)
            let line = (coverage["departments"] as? [[String: Any]])?.first
            #expect((line?["missing"] as? [[String: Any]])?.count == 1)
            #expect(line?["rate"] as? Double == 0.5)

            let (_, before, _) = try await client.json(.get, "/api/v1/catalog/mount-rates", token: city.consumer)
            let police = (before["items"] as? [[String: Any]])?.first {
                $0["departmentID"] as? Int == Int(city.police.id)
            }
            #expect(police?["published"] as? Int == 1 && police?["mounted"] as? Int == 0)
            let (badMount, badMountBody, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                body: #"{"kind": "api", "locator": "ftp://x"}"#)
            #expect(badMount == .badRequest && apiError(badMountBody).fields == ["locator"])
            let (secret, secretBody, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                body: #"{"kind": "api", "locator": "https://user:pw@gaj.example/api"}"#)
            #expect(secret == .badRequest && apiError(secretBody).fields == ["locator"])
            let (upstream, _, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                body: #"{"kind": "api", "locator": "https://gaj.example/api/rkjcxx"}"#)
            #expect(upstream == .ok)
            // Consumers see that an API is mounted, not where: they must go through the gateway.
            let (_, seenByConsumer, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)", token: city.consumer)
            #expect((seenByConsumer["mount"] as? [String: Any])?["locator"] as? String == "")
            let (_, seenByProvider, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)", token: city.provider)
            #expect(
                (seenByProvider["mount"] as? [String: Any])?["locator"] as? String == "https://gaj.example/api/rkjcxx")
            let (_, events, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(id)/history", token: city.consumer)
            #expect(!"\(events)".contains("gaj.example"))
            let (mounted, _, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                body: #"{"kind": "table", "locator": "gaj_rkjcxx", "recordCount": 1000}"#)
            #expect(mounted == .ok)
            let (_, after, _) = try await client.json(.get, "/api/v1/catalog/mount-rates", token: city.consumer)
            let rate = (after["items"] as? [[String: Any]])?.first { $0["departmentID"] as? Int == Int(city.police.id) }
            #expect(rate?["rate"] as? Double == 1.0)

            let (demandStatus, demand, _) = try await client.json(
                .post, "/api/v1/lists/demand", token: city.consumer,
                body:
                    #"{"scenario": "社保资格认证", "requestedData": "人口基础信息", "expectedProviderID": \#(city.police.id), "purpose": "核验", "basis": "《社会保险法》"}"#
            )
            #expect(demandStatus == .created)
            let demandID = demand["id"] as! Int
            #expect(
                try await client.json(
                    .post, "/api/v1/lists/demand/\(demandID)/resolve", token: city.otherProvider,
                    body: #"{"status": "unsatisfiable", "reason": "x"}"#
                ).0 == .forbidden)
            let (unlinked, unlinkedBody, _) = try await client.json(
                .post, "/api/v1/lists/demand/\(demandID)/resolve", token: city.provider,
                body: #"{"status": "satisfied", "applicationID": 999}"#)
            #expect(unlinked == .badRequest && apiError(unlinkedBody).fields == ["applicationID"])
            let (resolved, resolvedBody, _) = try await client.json(
                .post, "/api/v1/lists/demand/\(demandID)/resolve", token: city.provider,
                body: #"{"status": "satisfied", "entryID": \#(id)}"#)
            #expect(resolved == .ok && resolvedBody["status"] as? String == "satisfied")
        }
    }
}
