import Foundation
import HuitongCore
import HuitongDemo
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServer
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

    typealias Application = SharingAPI.ApplicationBody

    static func application(entryID: Int64, items: [String], calls: Int = 1000) -> SharingAPI.ApplicationInput {
        let today = CalendarDate.today()
        return SharingAPI.ApplicationInput(
            entryID: entryID, items: items, purpose: .dataVerification, purposeText: "低保对象身份核验",
            legalBasis: "《社会救助暂行办法》第十一条", scenario: "最低生活保障审核", validFrom: today,
            validTo: today.addingDays(180), expectedDailyCalls: calls)
    }

    /// Creates a draft application as the world's consumer and returns its id.
    static func draft(
        _ client: any TestClientProtocol, _ world: World, entryID: Int64, items: [String]
    ) async throws -> Int64 {
        let (_, draft) = try await client.send(
            .post, "/api/v1/applications", token: world.consumerToken,
            input: application(entryID: entryID, items: items), as: Application.self)
        return draft.application.id
    }

    @Test(
        "apply (the negative list refuses a withheld item) → approve in part → a masked, filtered grant → revoke",
        arguments: TestBackend.available)
    func applyApprovePartlyRevoke(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let world = try await Self.world(node)
            let entryID = world.conditional.id

            let (refused, refusal) = try await client.failure(
                .post, "/api/v1/applications", token: world.consumerToken,
                input: Self.application(entryID: entryID, items: ["sfzhm", "zjxy"]))
            #expect(refused == .badRequest)
            #expect(refusal.fields == ["items[1]"])
            let message = refusal.error.details.first?.message ?? ""
            #expect(message.contains("负面清单第 \(world.negativeRowID) 条") && message.contains("个人信息保护法"))

            let ownStatus = try await client.status(
                .post, "/api/v1/applications", token: world.providerToken,
                input: Self.application(entryID: entryID, items: ["sfzhm"]))
            #expect(ownStatus == .forbidden, "a provider-only officer cannot apply")

            let (created, draft) = try await client.send(
                .post, "/api/v1/applications", token: world.consumerToken,
                input: Self.application(entryID: entryID, items: ["sfzhm", "xm", "xzqhdm", "csrq"]),
                as: Application.self)
            #expect(created == .created && draft.application.state == .draft)
            let id = draft.application.id
            let hidden = try await client.status(.get, "/api/v1/applications/\(id)", token: world.providerToken)
            #expect(hidden == .notFound, "the provider does not see a draft")

            let (submitted, review) = try await client.send(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken, as: Application.self)
            #expect(submitted == .ok && review.application.state == .providerReview)
            #expect(review.application.deadline != nil && review.overdue == false)
            let (_, inbox) = try await client.send(
                .get, "/api/v1/notifications", token: world.providerToken, as: SharingAPI.NotificationsBody.self)
            let notices = inbox.items
            #expect(inbox.unread == 1 && notices.first?.kind.rawValue == "applicationToReview")

            let wrongParty = try await client.status(
                .post, "/api/v1/applications/\(id)/decision", token: world.consumerToken,
                input: SharingAPI.DecisionInput(kind: .approve))
            #expect(wrongParty == .forbidden)
            let (tooMuch, tooMuchBody) = try await client.failure(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(
                    kind: .approvePartially, terms: GrantTerms(items: ["sfzhm", "zjxy"], dailyQuota: 5000)))
            #expect(tooMuch == .badRequest && tooMuchBody.fields == ["terms.items", "terms.dailyQuota"])

            let (decided, partial) = try await client.send(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(
                    kind: .approvePartially, comment: "出生日期非核验所需",
                    terms: GrantTerms(
                        items: ["sfzhm", "xm", "xzqhdm"], dailyQuota: 300, rowFilter: .consumerRegion,
                        masking: ["xzqhdm": MaskingRule.none])),
                as: Application.self)
            #expect(decided == .ok && partial.application.state == .partiallyApproved)
            let grantID = try #require(partial.application.grantID)

            let (_, grant) = try await client.send(
                .get, "/api/v1/grants/\(grantID)", token: world.consumerToken, as: SharingAPI.GrantBody.self)
            #expect(grant.grant.items == ["sfzhm", "xm", "xzqhdm"])
            #expect(grant.status == .active && grant.grant.dailyQuota == 300)
            #expect(grant.grant.rowFilter?.column == "xzqhdm" && grant.grant.rowFilter?.prefix == "341502")
            #expect(Set(grant.grant.masking.keys) == ["sfzhm", "xm"])

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

            let (_, consumerInbox) = try await client.send(
                .get, "/api/v1/notifications", token: world.consumerToken, as: SharingAPI.NotificationsBody.self)
            let consumerNotice = try #require(consumerInbox.items.first)
            #expect(consumerNotice.kind.rawValue == "applicationDecided")
            let (read, readBody) = try await client.send(
                .post, "/api/v1/notifications/\(consumerNotice.id)/read", token: world.consumerToken,
                as: InAppNotification.self)
            #expect(read == .ok && readBody.readAt != nil)
            let othersRead = try await client.status(
                .post, "/api/v1/notifications/\(consumerNotice.id)/read", token: world.providerToken)
            #expect(othersRead == .notFound)

            let consumerRevoke = try await client.status(
                .post, "/api/v1/grants/\(grantID)/revoke", token: world.consumerToken,
                input: SharingAPI.RevokeInput(reason: "不用了"))
            #expect(consumerRevoke == .forbidden)
            let (revoked, revokedBody) = try await client.send(
                .post, "/api/v1/grants/\(grantID)/revoke", token: world.providerToken,
                input: SharingAPI.RevokeInput(reason: "数据源停用"), as: SharingAPI.GrantBody.self)
            #expect(revoked == .ok && revokedBody.status == .revoked)
            #expect(revokedBody.grant.revocationReason == "数据源停用")
            #expect(
                try await node.store.grants.activeGrants(
                    consumerDepartmentID: world.consumer.id, resourceCode: world.conditional.code.text,
                    on: CalendarDate.today()
                ).isEmpty, "the next gateway call finds no grant")
            let again = try await client.status(
                .post, "/api/v1/grants/\(grantID)/revoke", token: node.operatorToken,
                input: SharingAPI.RevokeInput(reason: "再次"))
            #expect(again == .conflict)

            let (_, history) = try await client.send(
                .get, "/api/v1/applications/\(id)/history", token: world.consumerToken,
                as: ListBody<ApplicationEvent>.self)
            let actions = history.items.map(\.action.rawValue)
            #expect(actions == ["create", "submit", "route", "approvePartially"])
            let (_, grants) = try await client.send(
                .get, "/api/v1/grants", token: world.providerToken, as: ListBody<SharingAPI.GrantBody>.self)
            #expect(grants.items.count == 1)
        }
    }

    @Test("with the compliance review on, the operator passes the application before the provider can decide")
    func complianceReview() async throws {
        var configuration = TestNode.configuration
        configuration.sharing.complianceReview = true
        try await TestNode.run(configuration: configuration) { node, client in
            let world = try await Self.world(node)
            let id = try await Self.draft(client, world, entryID: world.conditional.id, items: ["sfzhm"])
            let (_, submitted) = try await client.send(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken, as: Application.self)
            #expect(submitted.application.state == .complianceReview)
            let (_, operatorInbox) = try await client.send(
                .get, "/api/v1/notifications", token: node.operatorToken, as: SharingAPI.NotificationsBody.self)
            #expect(operatorInbox.items.first?.kind.rawValue == "complianceReview")

            let (early, earlyBody) = try await client.failure(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(kind: .approve))
            #expect(early == .conflict && earlyBody.code == "transition_not_allowed")
            let notOperator = try await client.status(
                .post, "/api/v1/applications/\(id)/compliance-review", token: world.providerToken,
                input: SharingAPI.ComplianceInput(pass: true))
            #expect(notOperator == .forbidden)
            let (passed, passedBody) = try await client.send(
                .post, "/api/v1/applications/\(id)/compliance-review", token: node.operatorToken,
                input: SharingAPI.ComplianceInput(pass: true, comment: "材料齐全"), as: Application.self)
            #expect(passed == .ok && passedBody.application.state == .providerReview)
            let (approved, approvedBody) = try await client.send(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(kind: .approve), as: Application.self)
            #expect(
                approved == .ok && approvedBody.application.state == .approved
                    && approvedBody.application.grantID != nil)
        }
    }

    @Test("无条件共享 is granted on submission, still recorded as an application")
    func unconditional() async throws {
        try await TestNode.run { node, client in
            let world = try await Self.world(node)
            let id = try await Self.draft(client, world, entryID: world.unconditional.id, items: ["xzqhdm", "rks"])
            let (_, approved) = try await client.send(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken, as: Application.self)
            #expect(approved.application.state == .approved && approved.application.grantID != nil)
            let (_, history) = try await client.send(
                .get, "/api/v1/applications/\(id)/history", token: world.providerToken,
                as: ListBody<ApplicationEvent>.self)
            let actions = history.items.map(\.action.rawValue)
            #expect(actions == ["create", "submit", "autoApprove"])
            let (_, providerInbox) = try await client.send(
                .get, "/api/v1/notifications", token: world.providerToken, as: SharingAPI.NotificationsBody.self)
            #expect(providerInbox.unread == 0, "nothing for the provider to review")
        }
    }

    @Test("a return for information is answered by resubmitting, not by submitting again")
    func returnAndResubmit() async throws {
        try await TestNode.run { node, client in
            let world = try await Self.world(node)
            let id = try await Self.draft(client, world, entryID: world.conditional.id, items: ["sfzhm", "xm"])
            try await client.status(.post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            let (silent, silentBody) = try await client.failure(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(kind: .returnForInfo))
            #expect(silent == .badRequest && silentBody.fields == ["comment"])
            let (_, returned) = try await client.send(
                .post, "/api/v1/applications/\(id)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(kind: .returnForInfo, comment: "请补充履职依据的具体条款"),
                as: Application.self)
            #expect(returned.application.state == .returnedForInfo && returned.application.deadline == nil)

            let again = try await client.status(
                .post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
            #expect(again == .conflict)
            let (resubmitted, body) = try await client.send(
                .post, "/api/v1/applications/\(id)/resubmit", token: world.consumerToken,
                input: SharingAPI.ResubmitInput(
                    comment: "已补充条款", application: Self.application(entryID: world.conditional.id, items: ["sfzhm"])),
                as: Application.self)
            #expect(resubmitted == .ok && body.application.state == .providerReview)
            #expect(body.application.content.items == ["sfzhm"])
            let (_, history) = try await client.send(
                .get, "/api/v1/applications/\(id)/history", token: world.consumerToken,
                as: ListBody<ApplicationEvent>.self)
            let actions = history.items.map(\.action.rawValue)
            #expect(actions == ["create", "submit", "route", "returnForInfo", "resubmit", "route"])
        }
    }

    @Test("overdue reviews and refusals go to the operator, who settles them")
    func escalation() async throws {
        try await TestNode.run { node, client in
            let world = try await Self.world(node)
            let service = SharingUseCases(store: node.store, settings: TestNode.configuration.sharing)
            var ids: [Int64] = []
            for _ in 0..<2 {
                let id = try await Self.draft(client, world, entryID: world.conditional.id, items: ["sfzhm", "xm"])
                try await client.status(.post, "/api/v1/applications/\(id)/submit", token: world.consumerToken)
                ids.append(id)
            }
            // Not overdue yet: the consumer cannot escalate, and the sweep finds nothing.
            let (early, earlyBody) = try await client.failure(
                .post, "/api/v1/applications/\(ids[0])/escalate", token: world.consumerToken,
                input: SharingAPI.CommentInput())
            #expect(early == .conflict && earlyBody.code == "not_overdue")
            #expect(try await service.sweepOverdue(at: Date()).isEmpty)

            // The provider refuses the second one: it goes to coordination at once.
            let (_, refused) = try await client.send(
                .post, "/api/v1/applications/\(ids[1])/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(kind: .refuse, comment: "用途与职责不符", refusalReason: .purposeUnclear),
                as: Application.self)
            #expect(refused.application.state == .coordination)

            // A second after its working-day deadline, the first one is overdue.
            let application = try #require(try await node.store.applications.find(id: ids[0]))
            let late = try #require(application.deadline).addingTimeInterval(1)
            let escalated = try await service.sweepOverdue(at: late)
            #expect(escalated.map(\.id) == [ids[0]] && escalated.first?.state == .coordination)
            let (_, operatorInbox) = try await client.send(
                .get, "/api/v1/notifications", token: node.operatorToken, as: SharingAPI.NotificationsBody.self)
            let kinds = operatorInbox.items.map(\.kind.rawValue)
            #expect(kinds == ["escalated", "escalated"])

            let notOperator = try await client.status(
                .post, "/api/v1/applications/\(ids[0])/resolution", token: world.providerToken,
                input: SharingAPI.ResolutionInput(approve: true, comment: "x"))
            #expect(notOperator == .forbidden)
            let (_, resolved) = try await client.send(
                .post, "/api/v1/applications/\(ids[0])/resolution", token: node.operatorToken,
                input: SharingAPI.ResolutionInput(
                    approve: true, comment: "经协调同意，仅限身份号码", terms: GrantTerms(items: ["sfzhm"])),
                as: Application.self)
            #expect(resolved.application.state == .resolvedApproved && resolved.application.grantID != nil)
            let (_, closed) = try await client.send(
                .post, "/api/v1/applications/\(ids[1])/resolution", token: node.operatorToken,
                input: SharingAPI.ResolutionInput(approve: false, comment: "维持不同意"), as: Application.self)
            #expect(closed.application.state == .resolvedRejected && closed.application.grantID == nil)
            let (_, list) = try await client.send(
                .get, "/api/v1/applications?state=resolvedApproved", token: world.consumerToken,
                as: ListBody<Application>.self)
            #expect(list.items.map(\.application.id) == [ids[0]])
        }
    }

    @Test("the holiday calendar is seeded for 2025 and 2026 and the operator adds later years")
    func holidays() async throws {
        try await TestNode.run { node, client in
            let provider = try await node.department("GAJ")
            let (_, token) = try await node.user("gaj.provider", department: provider, roles: [.provider])
            let (_, years) = try await client.send(
                .get, "/api/v1/holidays", token: token, as: ListBody<HolidayYear>.self)
            #expect(years.items.map(\.year) == [2025, 2026])
            let (_, y2026) = try await client.send(.get, "/api/v1/holidays/2026", token: token, as: HolidayYear.self)
            #expect(y2026.workdays.map(\.description).contains("2026-02-14"))
            let body = SharingAPI.HolidayInput(
                source: "通知",
                holidays: [
                    HolidayPeriod(
                        name: "元旦", from: CalendarDate(iso: "2027-01-01")!, to: CalendarDate(iso: "2027-01-03")!)
                ], workdays: [])
            let forbidden = try await client.status(.put, "/api/v1/holidays/2027", token: token, input: body)
            #expect(forbidden == .forbidden)
            let (bad, badBody) = try await client.failure(
                .put, "/api/v1/holidays/2027", token: node.operatorToken,
                input: SharingAPI.HolidayInput(holidays: [], workdays: [CalendarDate(iso: "2027-01-06")!]))
            #expect(bad == .badRequest && badBody.fields == ["workdays[0]"])
            let created = try await client.status(.put, "/api/v1/holidays/2027", token: node.operatorToken, input: body)
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
