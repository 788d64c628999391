import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Every route that reads or changes what belongs to a department, tried by the officers of a department that has
/// nothing to do with it, in each role: all are refused (403, or 404 where even existence is not told), and none
/// answers with the other department's data.
@Suite("Cross-department access matrix")
struct CrossDepartmentMatrixTests {
    /// A request of the matrix. Its body is raw text on purpose: the same kind of body whatever the route decodes,
    /// some valid, some incomplete (`{}`, a misspelt key) and one not JSON at all, so that a check made before
    /// ownership would show.
    struct Attempt {
        var method: HTTPRequest.Method
        var path: String
        var body: String?
    }

    @Test(
        "a foreign department's provider, consumer and dual-role officers, and its system, are refused on every departmental route",
        arguments: TestBackend.available)
    func foreignDepartmentRefused(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let world = caller.world
            let grantID = try await GatewayAPITests.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
            let application = try #require(
                try await node.store.applications.list(
                    .department(world.consumer.id, asConsumer: true, asProvider: false), state: nil
                ).first)
            let (_, credentials) = try await client.send(
                .get, "/api/v1/application-systems/\(caller.systemID)/credentials", token: world.consumerToken,
                as: ListBody<APIToken>.self)
            let credentialID = try #require(credentials.items.first?.id)
            let draft = try await node.store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "暂住人口信息", abstract: "暂住登记。",
                    formats: [ResourceFormat(category: .database, type: "Oracle")],
                    items: [InfoItem(name: "登记号", columnName: "djh", dataType: .character, isKey: true)],
                    shareType: .conditional, shareCondition: "用于核验", updateCycle: .daily
                ).validated(), departmentID: world.provider.id, author: ChangeAuthor(userID: nil, name: "测试"))
            let job = try await node.store.ingestJobs.create(
                entryID: world.conditional.id, mode: .replace, fileName: "rk.csv", contentHash: "h", totalBytes: 1,
                userID: nil, runner: "test")
            let conditional = world.conditional.id
            let attempts: [Attempt] = [
                // The consumer department's application, grant, system and credentials.
                Attempt(method: .get, path: "/api/v1/applications/\(application.id)"),
                Attempt(method: .put, path: "/api/v1/applications/\(application.id)", body: "{}"),
                Attempt(method: .get, path: "/api/v1/applications/\(application.id)/history"),
                Attempt(method: .post, path: "/api/v1/applications/\(application.id)/submit"),
                Attempt(method: .post, path: "/api/v1/applications/\(application.id)/resubmit"),
                Attempt(
                    method: .post, path: "/api/v1/applications/\(application.id)/decision",
                    body: #"{"kind": "approve", "comment": "同意"}"#),
                Attempt(method: .get, path: "/api/v1/grants/\(grantID)"),
                Attempt(method: .post, path: "/api/v1/grants/\(grantID)/revoke", body: #"{"reason": "越权撤销"}"#),
                Attempt(method: .get, path: "/api/v1/application-systems/\(caller.systemID)"),
                Attempt(method: .patch, path: "/api/v1/application-systems/\(caller.systemID)", body: #"{"name":"x"}"#),
                Attempt(method: .delete, path: "/api/v1/application-systems/\(caller.systemID)"),
                Attempt(method: .get, path: "/api/v1/application-systems/\(caller.systemID)/credentials"),
                Attempt(
                    method: .post, path: "/api/v1/application-systems/\(caller.systemID)/credentials",
                    body: #"{"name":"偷用"}"#),
                Attempt(
                    method: .post,
                    path: "/api/v1/application-systems/\(caller.systemID)/credentials/\(credentialID)/rotate",
                    body: "{}"),
                Attempt(
                    method: .delete,
                    path: "/api/v1/application-systems/\(caller.systemID)/credentials/\(credentialID)"),
                // The provider department's entries, pools, loads and quality.
                Attempt(method: .put, path: "/api/v1/catalog/entries/\(draft.id)", body: "{}"),
                Attempt(method: .delete, path: "/api/v1/catalog/entries/\(draft.id)"),
                Attempt(method: .post, path: "/api/v1/catalog/entries/\(draft.id)/submit"),
                Attempt(method: .post, path: "/api/v1/catalog/entries/\(conditional)/withdraw", body: "{}"),
                Attempt(method: .put, path: "/api/v1/catalog/entries/\(conditional)/mount", body: "{}"),
                Attempt(method: .delete, path: "/api/v1/catalog/entries/\(conditional)/mount"),
                Attempt(method: .post, path: "/api/v1/catalog/entries/\(conditional)/uploads", body: "sfzhm\n1\n"),
                Attempt(method: .get, path: "/api/v1/catalog/entries/\(conditional)/jobs"),
                Attempt(method: .get, path: "/api/v1/ingest/jobs/\(job.id)"),
                Attempt(method: .get, path: "/api/v1/ingest/jobs/\(job.id)/errors"),
                Attempt(method: .get, path: "/api/v1/catalog/entries/\(conditional)/pool/versions"),
                Attempt(method: .post, path: "/api/v1/catalog/entries/\(conditional)/pool/rollback", body: "{}"),
                Attempt(method: .get, path: "/api/v1/catalog/entries/\(conditional)/grading-suggestions"),
                Attempt(method: .get, path: "/api/v1/catalog/entries/\(conditional)/quality/problems"),
                Attempt(method: .post, path: "/api/v1/catalog/entries/\(conditional)/quality/runs"),
                Attempt(
                    method: .post, path: "/api/v1/catalog/entries/\(conditional)/quality/rules",
                    body: #"{"kind": "notNull", "column": "xm"}"#),
            ]

            let foreign = try await node.department("HSWJ", region: "341525")
            var officers: [(String, String)] = []
            for (name, roles) in [
                ("hswj.provider", Set<Role>([.provider])), ("hswj.consumer", [.consumer]),
                ("hswj.both", [.provider, .consumer]),
            ] {
                let (_, token) = try await node.user(name, department: foreign, roles: roles)
                officers.append((name, token))
            }
            let secrets = ["34150219900101123X", "张三"]
            for (name, token) in officers {
                for attempt in attempts {
                    let (status, text, _) = try await client.exchange(
                        attempt.method, attempt.path, token: token, raw: attempt.body, headers: [:])
                    #expect(
                        status == .forbidden || status == .notFound,
                        "\(name) \(attempt.method) \(attempt.path) answered \(status.code)")
                    #expect(secrets.allSatisfy { !text.contains($0) }, "\(name) \(attempt.path) leaked data")
                }
            }
            // Nothing was changed by any of it.
            #expect(try await node.store.grants.find(id: grantID)?.revokedAt == nil)
            #expect(try await node.store.catalog.find(id: draft.id)?.status == .draft)
            #expect(try await node.store.applicationSystems.find(id: caller.systemID) != nil)

            // The foreign department's own system has no grant: the gateway refuses it, and says so on the log.
            let (_, system) = try await client.send(
                .post, "/api/v1/application-systems", token: officers[1].1,
                input: AccountsAPI.SystemInput(name: "外县系统"), as: ApplicationSystem.self)
            let systemID = system.id
            let (_, issued) = try await client.send(
                .post, "/api/v1/application-systems/\(systemID)/credentials", token: officers[1].1,
                input: AccountsAPI.TokenInput(name: "生产"), as: AccountsAPI.CreatedToken.self)
            let bearer = issued.secret
            let (refused, refusedText) = try await client.text(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: bearer)
            #expect(try refused == .forbidden && WireJSON.read(ErrorBody.self, refusedText).code == "no_grant")
            #expect(!refusedText.contains("张三"))
        }
    }

    @Test(
        "every console form that acts on another department's object asks whose it is first: refused without its state, before the form is checked",
        arguments: TestBackend.available)
    func foreignDepartmentRefusedInConsole(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let world = caller.world
            _ = try await GatewayAPITests.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
            let application = try #require(
                try await node.store.applications.list(
                    .department(world.consumer.id, asConsumer: true, asProvider: false), state: nil
                ).first)
            // A draft of the consumer department, which its own officers could submit.
            let pendingID = try await SharingAPITests.draft(
                client, world, entryID: world.conditional.id, items: ["sfzhm", "xm"])
            try await client.status(.post, "/api/v1/applications/\(pendingID)/submit", token: world.consumerToken)
            let draftApplicationID = try await SharingAPITests.draft(
                client, world, entryID: world.conditional.id, items: ["sfzhm"])
            let draft = try await node.store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "暂住人口信息", abstract: "暂住登记。",
                    formats: [ResourceFormat(category: .database, type: "Oracle")],
                    items: [InfoItem(name: "登记号", columnName: "djh", dataType: .character, isKey: true)],
                    shareType: .conditional, shareCondition: "用于核验", updateCycle: .daily
                ).validated(), departmentID: world.provider.id, author: ChangeAuthor(userID: nil, name: "测试"))
            let conditional = world.conditional.id
            // Every console POST route that names an object (the create forms name none), with a form that
            // would fail its own checks, so that a check made before ownership would show.
            let attempts: [(String, String)] = [
                ("/console/applications/\(application.id)/submit", ""),
                ("/console/applications/\(draftApplicationID)/submit", ""),
                ("/console/applications/\(pendingID)/decision", "kind="),
                ("/console/applications/\(pendingID)/decision", "kind=approve&comment=%E5%90%8C%E6%84%8F"),
                ("/console/applications/\(application.id)/decision", "kind=refuse"),
                ("/console/entries/\(draft.id)/submit", "comment="),
                ("/console/entries/\(draft.id)", "name="),
                ("/console/entries/\(conditional)/uploads", ""),
                ("/console/apply/\(draft.id)", "validFrom=x"),
                ("/console/systems/\(caller.systemID)/credentials", "name="),
                ("/console/review/\(draft.id)/publish", ""),
                ("/console/review/\(draft.id)/return", "comment="),
                ("/console/open-requests/\(pendingID)/decision", "decision=maybe"),
                ("/console/open-requests/\(pendingID)/revoke", "reason="),
            ]
            let foreign = try await node.department("HSWJ", region: "341525")
            var passwords: [String: String] = [:]
            for (name, roles) in [
                ("hswj.provider", Set<Role>([.provider])), ("hswj.consumer", [.consumer]),
                ("hswj.both", [.provider, .consumer]),
            ] {
                _ = try await node.user(name, department: foreign, roles: roles)
                passwords[name] = "password-123"
            }
            let states = ApplicationState.allCases.flatMap {
                ["申请处于“\($0.label.zh)”", "that is \($0.label.en) cannot"]
            }
            for name in passwords.keys.sorted() {
                let browser = try await ConsoleTests.signIn(name, passwords, client)
                for (path, form) in attempts {
                    let (status, page, location) = try await ConsoleTests.post(path, form, browser, client)
                    #expect(
                        status == .forbidden || status == .notFound,
                        "\(name) POST \(path) answered \(status.code) \(location ?? "")")
                    let leaked = states.filter(page.contains)
                    #expect(leaked.isEmpty, "\(name) POST \(path) told the state: \(leaked)")
                    #expect(!page.contains("34150219900101123X") && !page.contains("张三"), "\(name) \(path)")
                }
            }
            // Nothing was changed by any of it.
            #expect(try await node.store.applications.find(id: draftApplicationID)?.state == .draft)
            #expect(try await node.store.applications.find(id: pendingID)?.state == .providerReview)
            #expect(try await node.store.catalog.find(id: draft.id)?.status == .draft)
        }
    }
}
