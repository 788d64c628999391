import Foundation
import HuitongCore
import HuitongDemo
import HuitongServer
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The sharing workflow through the real application: consumers apply, providers decide, the operator reviews
/// and coordinates, and approvals become grants that can be revoked.
@Suite("Sharing API")
struct SharingAPITests {
    struct World {
        var provider: Department
        var consumer: Department
        var providerToken: String
        var consumerToken: String
        var consumerUser: User
        var conditional: CatalogEntry
        var unconditional: CatalogEntry
        var negativeRowID: Int64
    }

    /// 公安局 publishes a conditional entry with a withheld item and an unconditional one; a county department
    /// (341502) applies.
    static func world(_ node: TestNode) async throws -> World {
        let store = node.store
        let provider = try await node.department("GAJ", region: "341500")
        let consumer = try await node.department("JAMZ", region: "341502")
        let (_, providerToken) = try await node.user("gaj.provider", department: provider, roles: [.provider])
        let (consumerUser, consumerToken) = try await node.user(
            "jamz.consumer", department: consumer, roles: [.consumer])
        try await store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "1", name: "基础信息资源目录"),
            ClassificationNode(scheme: "guide", code: "101", name: "国家人口基础信息资源"),
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
        ])
        let row = try await store.lists.createNegative(
            NegativeListDraft(
                kind: .notShared, resource: "常住人口登记表信息", items: "宗教信仰", reason: "敏感个人信息",
                legalBasis: "《中华人民共和国个人信息保护法》第二十八条"), departmentID: provider.id)
        let author = ChangeAuthor(userID: nil, name: "测试")
        func publish(_ content: CatalogEntryContent) async throws -> CatalogEntry {
            let draft = try await store.catalog.create(
                try content.validated(), departmentID: provider.id, author: author)
            _ = try await store.catalog.transition(id: draft.id, .submit, author: author, comment: "")
            return try await store.catalog.transition(id: draft.id, .publish, author: author, comment: "")
        }
        let conditional = try await publish(
            CatalogEntryContent(
                classificationCode: "101001", name: "常住人口登记表信息", abstract: "常住人口登记。",
                formats: [ResourceFormat(category: .database, type: "Oracle")],
                items: [
                    InfoItem(
                        name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                        grade: .general4, semanticKind: .residentID),
                    InfoItem(name: "姓名", columnName: "xm", dataType: .character, semanticKind: .personName),
                    InfoItem(
                        name: "宗教信仰", columnName: "zjxy", dataType: .character, shareType: .notShared,
                        negativeListID: row.id),
                    InfoItem(
                        name: "行政区划代码", columnName: "xzqhdm", dataType: .character, length: 6,
                        semanticKind: .regionCode),
                    InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
                ],
                shareType: .conditional, shareCondition: "用于身份核验", updateCycle: .daily))
        let unconditional = try await publish(
            CatalogEntryContent(
                classificationCode: "101001", name: "人口统计信息", abstract: "分区县人口统计。",
                formats: [ResourceFormat(category: .spreadsheet, type: "XLSX")],
                items: [
                    InfoItem(
                        name: "行政区划代码", columnName: "xzqhdm", dataType: .character, isKey: true,
                        shareType: .unconditional, semanticKind: .regionCode),
                    InfoItem(name: "人口数", columnName: "rks", dataType: .integer, shareType: .unconditional),
                ],
                shareType: .unconditional, updateCycle: .yearly))
        return World(
            provider: provider, consumer: consumer, providerToken: providerToken, consumerToken: consumerToken,
            consumerUser: consumerUser, conditional: conditional, unconditional: unconditional, negativeRowID: row.id)
    }

    static func applicationBody(entryID: Int64, items: [String], calls: Int = 1000) -> String {
        let today = CalendarDate.today()
        return """
            {"entryID": \(entryID), "items": [\(items.map { "\"\($0)\"" }.joined(separator: ","))],
             "purpose": "dataVerification", "purposeText": "低保对象身份核验", "legalBasis": "《社会救助暂行办法》第十一条",
             "scenario": "最低生活保障审核", "validFrom": "\(today)", "validTo": "\(today.addingDays(180))",
             "expectedDailyCalls": \(calls)}
            """
    }

    @Test(
        "apply (the negative list refuses a withheld item) → approve in part → a masked, filtered grant → revoke",
        arguments: TestBackend.available)
    func applyApprovePartlyRevoke(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let world = try await Self.world(node)
            let entryID = world.conditional.id

            let (refused, refusal, _) = try await client.json(
                .post, "/api/v1/applications", token: world.consumerToken,
                body: Self.applicationBody(entryID: entryID, items: ["sfzhm", "zjxy"]))
            #expect(refused == .badRequest)
            #expect(apiError(refusal).fields == ["items[1]"])
            let details = ((refusal["error"] as? [String: Any])?["details"] as? [[String: Any]]) ?? []
            let message = details.first?["message"] as? String ?? ""
            #expect(message.contains("负面清单第 \(world.negativeRowID) 条") && message.contains("个人信息保护法"))

            let (ownStatus, _, _) = try await client.json(
                .post, "/api/v1/applications", token: world.providerToken,
                body: Self.applicationBody(entryID: entryID, items: ["sfzhm"]))
            #expect(ownStatus == .forbidden, "a provider-only officer cannot apply")

            let (created, draft, _) = try await client.json(
                .post, "/api/v1/applications", token: world.consumerToken,
                body: Self.applicationBody(entryID: entryID, items: ["sfzhm", "xm", "xzqhdm", "csrq"]))
            #expect(created == .created && draft["state"] as? String == "draft")
            let id = try #require(draft["id"] as? Int)
            let (hidden, _, _) = try await client.json(.get, "/api/v1/applications/\(id)", token: world.providerToken)
            #expect(hidden == .notFound, "the provider does not see a draft")

            let (submitted, review, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            #expect(submitted == .ok && review["state"] as? String == "providerReview")
            #expect(review["deadline"] is String && review["overdue"] as? Bool == false)
            let (_, inbox, _) = try await client.json(.get, "/api/v1/notifications", token: world.providerToken)
            let notices = inbox["items"] as? [[String: Any]] ?? []
            #expect(inbox["unread"] as? Int == 1 && notices.first?["kind"] as? String == "applicationToReview")

            let (wrongParty, _, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.consumerToken, body: #"{"kind": "approve"}"#)
            #expect(wrongParty == .forbidden)
            let (tooMuch, tooMuchBody, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                body: #"{"kind": "approvePartially", "terms": {"items": ["sfzhm", "zjxy"], "dailyQuota": 5000}}"#)
            #expect(tooMuch == .badRequest && apiError(tooMuchBody).fields == ["terms.items", "terms.dailyQuota"])

            let (decided, partial, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                body: """
                    {"kind": "approvePartially", "comment": "出生日期非核验所需",
                     "terms": {"items": ["sfzhm", "xm", "xzqhdm"], "dailyQuota": 300, "rowFilter": "consumerRegion",
                               "masking": {"xzqhdm": {"none": {}}}}}
                    """)
            #expect(decided == .ok && partial["state"] as? String == "partiallyApproved")
            let grantID = try #require(partial["grantID"] as? Int)

            let (_, grant, _) = try await client.json(.get, "/api/v1/grants/\(grantID)", token: world.consumerToken)
            #expect(grant["items"] as? [String] == ["sfzhm", "xm", "xzqhdm"])
            #expect(grant["status"] as? String == "active" && grant["dailyQuota"] as? Int == 300)
            #expect((grant["rowFilter"] as? [String: String]) == ["column": "xzqhdm", "prefix": "341502"])
            let masking = grant["masking"] as? [String: Any] ?? [:]
            #expect(Set(masking.keys) == ["sfzhm", "xm"])

            // What the gateway will do with it.
            let active = try await node.store.grants.activeGrants(
                consumerDepartmentID: world.consumer.id, resourceCode: world.conditional.code.text,
                on: CalendarDate.today())
            let enforced = try #require(active.first)
            #expect(
                enforced.project(row: [
                    "sfzhm": "34150219900101123X", "xm": "张三丰", "xzqhdm": "341502", "csrq": "1990-01-01",
                ])
                    == ["sfzhm": "3***************3X", "xm": "张**", "xzqhdm": "341502"])
            #expect(!enforced.admits(row: ["xzqhdm": "341503"]))

            let (_, consumerInbox, _) = try await client.json(.get, "/api/v1/notifications", token: world.consumerToken)
            let consumerNotice = try #require((consumerInbox["items"] as? [[String: Any]])?.first)
            #expect(consumerNotice["kind"] as? String == "applicationDecided")
            let (read, readBody, _) = try await client.json(
                .post, "/api/v1/notifications/\(consumerNotice["id"] as? Int ?? 0)/read", token: world.consumerToken)
            #expect(read == .ok && readBody["readAt"] is String)
            let (othersRead, _, _) = try await client.json(
                .post, "/api/v1/notifications/\(consumerNotice["id"] as? Int ?? 0)/read", token: world.providerToken)
            #expect(othersRead == .notFound)

            let (consumerRevoke, _, _) = try await client.json(
                .post, "/api/v1/grants/\(grantID)/revoke", token: world.consumerToken, body: #"{"reason": "不用了"}"#)
            #expect(consumerRevoke == .forbidden)
            let (revoked, revokedBody, _) = try await client.json(
                .post, "/api/v1/grants/\(grantID)/revoke", token: world.providerToken, body: #"{"reason": "数据源停用"}"#)
            #expect(revoked == .ok && revokedBody["status"] as? String == "revoked")
            #expect(revokedBody["revocationReason"] as? String == "数据源停用")
            #expect(
                try await node.store.grants.activeGrants(
                    consumerDepartmentID: world.consumer.id, resourceCode: world.conditional.code.text,
                    on: CalendarDate.today()
                ).isEmpty, "the next gateway call finds no grant")
            let (again, _, _) = try await client.json(
                .post, "/api/v1/grants/\(grantID)/revoke", token: node.operatorToken, body: #"{"reason": "再次"}"#)
            #expect(again == .conflict)

            let (_, history, _) = try await client.json(
                .get, "/api/v1/applications/\(id)/history", token: world.consumerToken)
            let actions = (history["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions == ["create", "submit", "route", "approvePartially"])
            let (_, grants, _) = try await client.json(.get, "/api/v1/grants", token: world.providerToken)
            #expect((grants["items"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("with the compliance review on, the operator passes the application before the provider can decide")
    func complianceReview() async throws {
        var configuration = TestNode.configuration
        configuration.sharing.complianceReview = true
        try await TestNode.run(configuration: configuration) { node, client in
            let world = try await Self.world(node)
            let (_, draft, _) = try await client.json(
                .post, "/api/v1/applications", token: world.consumerToken,
                body: Self.applicationBody(entryID: world.conditional.id, items: ["sfzhm"]))
            let id = try #require(draft["id"] as? Int)
            let (_, submitted, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            #expect(submitted["state"] as? String == "complianceReview")
            let (_, operatorInbox, _) = try await client.json(.get, "/api/v1/notifications", token: node.operatorToken)
            #expect((operatorInbox["items"] as? [[String: Any]])?.first?["kind"] as? String == "complianceReview")

            let (early, earlyBody, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken, body: #"{"kind": "approve"}"#)
            #expect(early == .conflict && apiError(earlyBody).code == "transition_not_allowed")
            let (notOperator, _, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/compliance-review", token: world.providerToken,
                body: #"{"pass": true}"#)
            #expect(notOperator == .forbidden)
            let (passed, passedBody, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/compliance-review", token: node.operatorToken,
                body: #"{"pass": true, "comment": "材料齐全"}"#)
            #expect(passed == .ok && passedBody["state"] as? String == "providerReview")
            let (approved, approvedBody, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken, body: #"{"kind": "approve"}"#)
            #expect(approved == .ok && approvedBody["state"] as? String == "approved" && approvedBody["grantID"] is Int)
        }
    }

    @Test("无条件共享 is granted on submission, still recorded as an application")
    func unconditional() async throws {
        try await TestNode.run { node, client in
            let world = try await Self.world(node)
            let (_, draft, _) = try await client.json(
                .post, "/api/v1/applications", token: world.consumerToken,
                body: Self.applicationBody(entryID: world.unconditional.id, items: ["xzqhdm", "rks"]))
            let id = try #require(draft["id"] as? Int)
            let (_, approved, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            #expect(approved["state"] as? String == "approved" && approved["grantID"] is Int)
            let (_, history, _) = try await client.json(
                .get, "/api/v1/applications/\(id)/history", token: world.providerToken)
            let actions = (history["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions == ["create", "submit", "autoApprove"])
            let (_, providerInbox, _) = try await client.json(.get, "/api/v1/notifications", token: world.providerToken)
            #expect(providerInbox["unread"] as? Int == 0, "nothing for the provider to review")
        }
    }

    @Test("a return for information is answered by resubmitting, not by submitting again")
    func returnAndResubmit() async throws {
        try await TestNode.run { node, client in
            let world = try await Self.world(node)
            let (_, draft, _) = try await client.json(
                .post, "/api/v1/applications", token: world.consumerToken,
                body: Self.applicationBody(entryID: world.conditional.id, items: ["sfzhm", "xm"]))
            let id = try #require(draft["id"] as? Int)
            _ = try await client.json(.post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            let (silent, silentBody, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                body: #"{"kind": "returnForInfo"}"#)
            #expect(silent == .badRequest && apiError(silentBody).fields == ["comment"])
            let (_, returned, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                body: #"{"kind": "returnForInfo", "comment": "请补充履职依据的具体条款"}"#)
            #expect(returned["state"] as? String == "returnedForInfo" && returned["deadline"] == nil)

            let (again, _, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            #expect(again == .conflict)
            let (resubmitted, body, _) = try await client.json(
                .post, "/api/v1/applications/\(id)/resubmit", token: world.consumerToken,
                body: """
                    {"comment": "已补充条款", "application": \(Self.applicationBody(entryID: world.conditional.id, items: ["sfzhm"]))}
                    """)
            #expect(resubmitted == .ok && body["state"] as? String == "providerReview")
            #expect((body["content"] as? [String: Any])?["items"] as? [String] == ["sfzhm"])
            let (_, history, _) = try await client.json(
                .get, "/api/v1/applications/\(id)/history", token: world.consumerToken)
            let actions = (history["items"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions == ["create", "submit", "route", "returnForInfo", "resubmit", "route"])
        }
    }

    @Test("overdue reviews and refusals go to the operator, who settles them")
    func escalation() async throws {
        try await TestNode.run { node, client in
            let world = try await Self.world(node)
            let service = SharingUseCases(store: node.store, settings: TestNode.configuration.sharing)
            var ids: [Int] = []
            for _ in 0..<2 {
                let (_, draft, _) = try await client.json(
                    .post, "/api/v1/applications", token: world.consumerToken,
                    body: Self.applicationBody(entryID: world.conditional.id, items: ["sfzhm", "xm"]))
                let id = try #require(draft["id"] as? Int)
                _ = try await client.json(.post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
                ids.append(id)
            }
            // Not overdue yet: the consumer cannot escalate, and the sweep finds nothing.
            let (early, earlyBody, _) = try await client.json(
                .post, "/api/v1/applications/\(ids[0])/escalate", token: world.consumerToken, body: "{}")
            #expect(early == .conflict && apiError(earlyBody).code == "not_overdue")
            #expect(try await service.sweepOverdue(at: Date()).isEmpty)

            // The provider refuses the second one: it goes to coordination at once.
            let (_, refused, _) = try await client.json(
                .post, "/api/v1/applications/\(ids[1])/decision", token: world.providerToken,
                body: #"{"kind": "refuse", "refusalReason": "purposeUnclear", "comment": "用途与职责不符"}"#)
            #expect(refused["state"] as? String == "coordination")

            // A second after its working-day deadline, the first one is overdue.
            let application = try #require(try await node.store.applications.find(id: Int64(ids[0])))
            let late = try #require(application.deadline).addingTimeInterval(1)
            let escalated = try await service.sweepOverdue(at: late)
            #expect(escalated.map(\.id) == [Int64(ids[0])] && escalated.first?.state == .coordination)
            let (_, operatorInbox, _) = try await client.json(.get, "/api/v1/notifications", token: node.operatorToken)
            let kinds = (operatorInbox["items"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds == ["escalated", "escalated"])

            let (notOperator, _, _) = try await client.json(
                .post, "/api/v1/applications/\(ids[0])/resolution", token: world.providerToken,
                body: #"{"approve": true, "comment": "x"}"#)
            #expect(notOperator == .forbidden)
            let (_, resolved, _) = try await client.json(
                .post, "/api/v1/applications/\(ids[0])/resolution", token: node.operatorToken,
                body: #"{"approve": true, "comment": "经协调同意，仅限身份号码", "terms": {"items": ["sfzhm"]}}"#)
            #expect(resolved["state"] as? String == "resolvedApproved" && resolved["grantID"] is Int)
            let (_, closed, _) = try await client.json(
                .post, "/api/v1/applications/\(ids[1])/resolution", token: node.operatorToken,
                body: #"{"approve": false, "comment": "维持不同意"}"#)
            #expect(closed["state"] as? String == "resolvedRejected" && closed["grantID"] == nil)
            let (_, list, _) = try await client.json(
                .get, "/api/v1/applications?state=resolvedApproved", token: world.consumerToken)
            #expect((list["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [ids[0]])
        }
    }

    @Test("the holiday calendar is seeded for 2025 and 2026 and the operator adds later years")
    func holidays() async throws {
        try await TestNode.run { node, client in
            let provider = try await node.department("GAJ")
            let (_, token) = try await node.user("gaj.provider", department: provider, roles: [.provider])
            let (_, years, _) = try await client.json(.get, "/api/v1/holidays", token: token)
            #expect((years["items"] as? [[String: Any]])?.compactMap { $0["year"] as? Int } == [2025, 2026])
            let (_, y2026, _) = try await client.json(.get, "/api/v1/holidays/2026", token: token)
            #expect((y2026["workdays"] as? [String])?.contains("2026-02-14") == true)
            let body =
                #"{"source": "通知", "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}], "workdays": []}"#
            let (forbidden, _, _) = try await client.json(.put, "/api/v1/holidays/2027", token: token, body: body)
            #expect(forbidden == .forbidden)
            let (bad, badBody, _) = try await client.json(
                .put, "/api/v1/holidays/2027", token: node.operatorToken,
                body: #"{"holidays": [], "workdays": ["2027-01-06"]}"#)
            #expect(bad == .badRequest && apiError(badBody).fields == ["workdays[0]"])
            let (created, _, _) = try await client.json(
                .put, "/api/v1/holidays/2027", token: node.operatorToken, body: body)
            #expect(created == .created)
            #expect(!(try await node.store.holidays.calendar().isWorkingDay(CalendarDate(iso: "2027-01-01")!)))
        }
    }

    @Test("the demo city has applications in every kind of state, and their grants")
    func demo() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            try await NodeStartup.prepare(store: store)
            _ = try await DemoData.load(into: AccountUseCases(store: store, bcryptCost: 4))
            let states = try await store.applications.list(.all, state: nil).map(\.state)
            #expect(
                Set(states) == [.approved, .partiallyApproved, .providerReview, .coordination] && states.count == 5)
            let grants = try await store.grants.list(.all)
            #expect(grants.count == 3 && grants.allSatisfy { $0.status(at: Date()) == .active })
        }
    }
}
