import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The consumer's side of the console over the demo city: an application's page and its withdrawal, the
/// department's application systems with their credentials, and a grant's 接口文档 with its "try it".
@Suite("Console: the consumer's applications, systems and grants")
struct ConsoleConsumerTests {
    @Test("the applicant reads its application by name and withdraws it after confirming; nobody else can")
    func withdraw() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let marriage = try await ConsoleTests.entry(store, "婚姻登记信息")
            let application = try #require(
                try await store.applications.list(.all, state: .providerReview).first {
                    $0.resourceCode == marriage.code.text
                })
            let housing = try await ConsoleTests.signIn("zjj.officer", passwords, client)
            let (status, page) = try await ConsoleTests.get("/console/applications/\(application.id)", housing, client)
            #expect(status == .ok)
            #expect(page.contains("婚姻登记信息") && page.contains("登记日期"), "resource and items by name")
            #expect(page.contains("/console/applications/\(application.id)/withdraw"))
            let (_, list) = try await ConsoleTests.get("/console/applications", housing, client)
            #expect(list.contains("婚姻登记信息 <span class=\"code\">\(marriage.code.text)</span>"))

            // The provider and another consumer can neither read nor withdraw it.
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            #expect(
                try await ConsoleTests.get("/console/applications/\(application.id)", civil, client).0 == .forbidden)
            let labour = try await ConsoleTests.signIn("rsj.officer", passwords, client)
            let (refused, _, _) = try await ConsoleTests.post(
                "/console/applications/\(application.id)/withdraw", "comment=", labour, client)
            #expect(refused == .forbidden)

            let (done, _, location) = try await ConsoleTests.post(
                "/console/applications/\(application.id)/withdraw",
                "comment=%E6%94%B9%E7%94%A8%E7%BA%BF%E4%B8%8B%E6%A0%B8%E9%AA%8C",
                housing, client)
            #expect(done == .seeOther)
            #expect(location == "/console/applications/\(application.id)?done=withdrawn")
            #expect(try await store.applications.find(id: application.id)?.state == .withdrawn)
            let (_, after) = try await ConsoleTests.get(location ?? "", housing, client)
            #expect(after.contains("已撤回") && after.contains("改用线下核验"))
            #expect(!after.contains("/withdraw\""), "a withdrawn application cannot be withdrawn again")
            let (_, queue) = try await ConsoleTests.get("/console/to-review", civil, client)
            #expect(!queue.contains(application.number), "the provider's queue has lost it")
            let (again, _, _) = try await ConsoleTests.post(
                "/console/applications/\(application.id)/withdraw", "comment=", housing, client)
            #expect(again == .conflict)
            let logged = try await store.audit.search(AuditEntryFilter(limit: 20)).contains { record in
                if case .entry(let entry) = record {
                    return entry.event.action == .applicationWithdrawn && entry.event.resourceCode == marriage.code.text
                }
                return false
            }
            #expect(logged, "the withdrawal is on the audit log")
        }
    }

    @Test(
        "a new application system and its credential in the console, the grant's 接口文档, a try-it call audited as that system, rotation and revocation"
    )
    func systemsAndGrants() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let police = try await ConsoleTests.signIn("gaj.consumer", passwords, client)
            // 新建应用: an empty name is refused in Chinese only; a good one is created.
            let (bad, refused, _) = try await ConsoleTests.post(
                "/console/systems", "name=&description=", police, client)
            #expect(bad == .badRequest)
            #expect(refused.contains("系统名称须为 1–100 个字符") && !refused.contains("name must be"))
            let (created, _, location) = try await ConsoleTests.post(
                "/console/systems", "name=%E6%88%B7%E6%94%BF%E6%A0%B8%E9%AA%8C&description=", police, client)
            #expect(created == .seeOther && location?.contains("done=system_created") == true)
            let department = try #require(try await store.users.find(username: "gaj.consumer")).departmentID
            #expect(try await store.applicationSystems.list(departmentID: department).map(\.name) == ["户政核验"])

            // 人社局's grant of 人口基础信息 and its system, with a credential made in the console.
            let labour = try await ConsoleTests.signIn("rsj.officer", passwords, client)
            let rsj = try #require(try await store.users.find(username: "rsj.officer")).departmentID
            let system = try #require(try await store.applicationSystems.list(departmentID: rsj).first)
            let (issuedStatus, issued, _) = try await ConsoleTests.post(
                "/console/systems/\(system.id)/credentials", "name=%E8%B0%83%E8%AF%95", labour, client)
            #expect(issuedStatus == .created)
            #expect(issued.contains("id=\"issued-secret\"") && issued.contains("/gateway/v1/"))
            let credential = try #require(
                try await store.tokens.list(owner: .system(system.id)).first { $0.name == "调试" })
            let secret = try #require(
                issued.firstMatch(of: /<code class="secret-value">([^<]+)</).map { String($0.1) },
                "the secret is shown once")
            let grant = try #require(
                try await store.grants.list(.all).first { $0.consumerDepartmentID == rsj && $0.channel == .api })
            let (docsStatus, docs) = try await ConsoleTests.get("/console/grants/\(grant.id)", labour, client)
            #expect(docsStatus == .ok)
            #expect(docs.contains("/gateway/v1/\(grant.resourceCode)/records") && docs.contains("records?sfzhm=&lt;"))
            #expect(!docs.contains(secret), "the documentation never shows a secret")

            // Try it: the gateway answers as the chosen credential's system, and logs the call as that system's.
            let key = "key_sfzhm=11010519491231002X"
            let (_, tried, _) = try await ConsoleTests.post(
                "/console/grants/\(grant.id)/try", "credentialID=\(credential.id)&\(key)", labour, client)
            #expect(tried.contains("data-status=\"200\""), "\(tried)")
            #expect(!tried.contains(secret))
            let calls = try await store.audit.search(AuditEntryFilter(limit: 10)).compactMap { record -> AuditEvent? in
                if case .entry(let entry) = record, entry.event.action == .gatewayLookup { return entry.event }
                return nil
            }
            #expect(calls.contains { $0.applicationSystemID == system.id && $0.resourceCode == grant.resourceCode })

            // Another department sees neither the grant nor its try-it; a credential of another department's
            // system cannot be chosen.
            #expect(try await ConsoleTests.get("/console/grants/\(grant.id)", police, client).0 == .notFound)
            let (foreign, _, _) = try await ConsoleTests.post(
                "/console/grants/\(grant.id)/try", "credentialID=\(credential.id)&\(key)", police, client)
            #expect(foreign == .notFound)

            // Rotation shows a new secret under the same key id; revocation ends the credential.
            let (rotated, rotatedPage, _) = try await ConsoleTests.post(
                "/console/systems/\(system.id)/credentials/\(credential.id)/rotate", "", labour, client)
            #expect(rotated == .created && rotatedPage.contains(credential.keyID ?? "-"))
            let current = try #require(
                try await store.tokens.list(owner: .system(system.id)).first {
                    $0.keyID == credential.keyID && $0.replacedBy == nil && $0.revokedAt == nil
                })
            let (revoked, _, after) = try await ConsoleTests.post(
                "/console/systems/\(system.id)/credentials/\(current.id)/revoke", "", labour, client)
            #expect(revoked == .seeOther && after?.contains("done=credential_revoked") == true)
            #expect(try await store.tokens.find(id: current.id)?.revokedAt != nil)
            let (stale, stalePage, _) = try await ConsoleTests.post(
                "/console/grants/\(grant.id)/try", "credentialID=\(current.id)&\(key)", labour, client)
            #expect(stale == .badRequest && stalePage.contains("请选择本部门获授权应用的一个可用凭证"))
        }
    }

    @Test("a try-it answer is indented for reading with its members in the gateway's order")
    func prettyAnswer() {
        let answer = #"{"resource":"203003/0002","count":1,"records":[{"jgmc":"a, \"b\"","cws":150,"x":{}}]}"#
        #expect(
            ConsolePages.pretty(answer) == """
                {
                  "resource": "203003/0002",
                  "count": 1,
                  "records": [
                    {
                      "jgmc": "a, \\"b\\"",
                      "cws": 150,
                      "x": {}
                    }
                  ]
                }
                """)
        #expect(ConsolePages.pretty("not json") == "not json")
    }
}
