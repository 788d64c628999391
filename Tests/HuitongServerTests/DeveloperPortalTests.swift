import Foundation
import HTTPTypes
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The portal's developers through the real application: registration, the conditional-access loop with the
/// provider's console, self-service keys on the open-data API, and the feedback form.
@Suite("Portal developers")
struct DeveloperPortalTests {
    static let idNumber = "11010519491231002X"
    static let otherIDNumber = "341502199001011239"

    /// A stranger's form: GETs `page` for its double-submit token and cookie, then posts `fields` with them.
    static func postAnonymous(
        _ page: String, to action: String, _ fields: [(String, String)], _ client: some TestClientProtocol
    ) async throws -> (status: HTTPResponse.Status, html: String, headers: HTTPFields) {
        let (html, cookie) = try await client.execute(uri: page, method: .get) { response in
            (String(buffer: response.body), PagesAndContractTests.cookie("huitong_csrf", in: response.headers))
        }
        let token = try #require(PagesAndContractTests.hiddenField("_csrf", in: html))
        let body = ([("_csrf", token)] + fields).map { "\($0.0)=\(PortalTests.encoded($0.1))" }.joined(separator: "&")
        return try await client.execute(
            uri: action, method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: try #require(cookie)],
            body: ByteBuffer(string: body)
        ) { (status: $0.status, html: String(buffer: $0.body), headers: $0.headers) }
    }

    /// A registered, signed-in developer: the session cookie and the token their forms echo.
    struct Developer {
        let cookie: String
        let csrf: String
        var headers: HTTPFields { [.cookie: cookie] }
    }

    static func register(
        _ email: String, name: String = "张小明", idNumber: String = idNumber, organisation: String = "",
        organisationCode: String = "", _ client: some TestClientProtocol
    ) async throws -> Developer {
        let (status, _, headers) = try await postAnonymous(
            "/portal/register", to: "/portal/register",
            [
                ("email", email), ("name", name), ("idNumber", idNumber), ("organisation", organisation),
                ("organisationCode", organisationCode), ("password", "secret-pass-1"), ("acceptedAgreement", "yes"),
            ], client)
        #expect(status == .seeOther || status == .found)
        let cookie = try #require(PagesAndContractTests.cookie("huitong_developer", in: headers))
        let account = try await client.execute(uri: "/portal/account", method: .get, headers: [.cookie: cookie]) {
            String(buffer: $0.body)
        }
        return Developer(cookie: cookie, csrf: try #require(PagesAndContractTests.hiddenField("_csrf", in: account)))
    }

    static func get(_ path: String, _ developer: Developer, _ client: some TestClientProtocol) async throws -> (
        HTTPResponse.Status, String
    ) {
        try await client.execute(uri: path, method: .get, headers: developer.headers) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func post(
        _ path: String, _ fields: [(String, String)], _ developer: Developer, _ client: some TestClientProtocol
    ) async throws -> (HTTPResponse.Status, String, String?) {
        let body = ([("_csrf", developer.csrf)] + fields).map { "\($0.0)=\(PortalTests.encoded($0.1))" }
            .joined(separator: "&")
        return try await client.execute(
            uri: path, method: .post,
            headers: [.cookie: developer.cookie, .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: body)
        ) { ($0.status, String(buffer: $0.body), $0.headers[.location]) }
    }

    @Test(
        "registration is real-name: a bad form names each wrong field and keeps what was typed; the account keeps only a masked ID",
        arguments: TestBackend.available)
    func registration(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { _, node, client in
            let (status, html, _) = try await Self.postAnonymous(
                "/portal/register", to: "/portal/register",
                [
                    ("email", "not-an-address"), ("name", "张小明"), ("idNumber", "110105194912310021"),
                    ("organisationCode", "91341500MA2N0001X0"), ("password", "short"),
                ], client)
            #expect(status == .badRequest)
            #expect(html.contains(#"id="email-error""#) && html.contains(#"id="idNumber-error""#))
            #expect(html.contains(#"id="password-error""#) && html.contains(#"id="acceptedAgreement-error""#))
            #expect(html.contains(#"id="organisationCode-error""#) && html.contains(#"id="organisation-error""#))
            #expect(html.contains(#"value="not-an-address""#) && html.contains(#"value="张小明""#))
            #expect(!html.contains("short"), "a password is never sent back")
            #expect(try await node.store.developers.count() == 0)

            // A form whose token does not match (a cookie renewed in another tab) is not acted on but kept.
            let forged = try await client.execute(
                uri: "/portal/register", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "huitong_csrf=abc"],
                body: ByteBuffer(string: "_csrf=xyz&email=keep%40example.com&name=%E5%BC%A0")
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(forged.0 == .forbidden && forged.1.contains(#"value="keep@example.com""#))
            #expect(try await node.store.developers.count() == 0)

            let developer = try await Self.register("dev@example.com", client)
            let (_, account) = try await Self.get("/portal/account", developer, client)
            #expect(account.contains("110***********002X"))
            #expect(!account.contains(Self.idNumber))
            #expect(account.contains("开发者中心"))
            let stored = try #require(try await node.store.developers.credentials(email: "dev@example.com"))
            #expect(stored.developer.identityHint == "110***********002X")

            let (taken, again, _) = try await Self.postAnonymous(
                "/portal/register", to: "/portal/register",
                [
                    ("email", "DEV@example.com"), ("name", "李四"), ("idNumber", Self.otherIDNumber),
                    ("password", "secret-pass-1"), ("acceptedAgreement", "yes"),
                ], client)
            #expect(taken == .conflict)
            #expect(again.contains("该电子邮箱已注册"))
            // One person, one account: the same ID number under another address is refused without echoing it.
            let (samePerson, samePersonPage, _) = try await Self.postAnonymous(
                "/portal/register", to: "/portal/register",
                [
                    ("email", "second@example.com"), ("name", "张小明"), ("idNumber", Self.idNumber),
                    ("password", "secret-pass-1"), ("acceptedAgreement", "yes"),
                ], client)
            #expect(samePerson == .conflict)
            #expect(samePersonPage.contains(#"id="idNumber-error""#) && samePersonPage.contains("该身份证号码已注册"))
            #expect(try await node.store.developers.count() == 1)

            // Signing in: a wrong password says so and keeps the address; the right one opens the account.
            let (wrong, refused, _) = try await Self.postAnonymous(
                "/portal/login", to: "/portal/login", [("email", "dev@example.com"), ("password", "wrong-pass-1")],
                client)
            #expect(wrong == .unauthorized)
            #expect(refused.contains(#"value="dev@example.com""#))
            let (_, _, headers) = try await Self.postAnonymous(
                "/portal/login", to: "/portal/login", [("email", "dev@example.com"), ("password", "secret-pass-1")],
                client)
            #expect(PagesAndContractTests.cookie("huitong_developer", in: headers) != nil)
            // A developer is nobody in the console.
            let console = try await client.execute(uri: "/console", method: .get, headers: developer.headers) {
                ($0.status, $0.headers[.location])
            }
            #expect(console.1?.hasPrefix("/login") == true)
        }
    }

    @Test(
        "conditional data: a developer applies, the provider refuses without a reason only to be told, approves, and the developer downloads what the public may not",
        arguments: TestBackend.available)
    func conditionalAccess(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            let floating = fixture.floating.id
            // A stranger is sent to sign in first, and cannot download.
            let (anonymous, _) = try await client.page("/datasets/\(floating)/download.csv")
            #expect(anonymous == .forbidden)
            let redirect = try await client.execute(uri: "/datasets/\(floating)/apply", method: .get) {
                $0.headers[.location]
            }
            #expect(redirect == "/portal/login?next=/datasets/\(floating)/apply")

            let developer = try await Self.register(
                "dev@example.com", organisation: "六安数据科技有限公司", organisationCode: "11341500003010087Y", client)
            let (_, datasetPage) = try await Self.get("/datasets/\(floating)", developer, client)
            #expect(datasetPage.contains(#"href="/datasets/\#(floating)/apply""#))
            let (_, form) = try await Self.get("/datasets/\(floating)/apply", developer, client)
            #expect(form.contains("流动人口登记信息") && form.contains("实名认证并签署数据利用协议"))

            let (bad, badPage, _) = try await Self.post(
                "/datasets/\(floating)/apply",
                [("purpose", "太短"), ("scenario", "高校课题研究"), ("securityMeasures", ""), ("months", "6")], developer,
                client)
            #expect(bad == .badRequest)
            #expect(badPage.contains(#"id="purpose-error""#) && badPage.contains(#"id="securityMeasures-error""#))
            #expect(badPage.contains(#"id="acceptedAgreement-error""#))
            #expect(badPage.contains(">太短</textarea>") && badPage.contains(">高校课题研究</textarea>"))
            #expect(try await node.store.developers.decided(limit: 10, offset: 0).isEmpty)

            let fields = [
                ("purpose", "研究城市人口流动规律并发布分析报告"), ("scenario", "高校课题研究"), ("securityMeasures", "专机存储，访问留痕"),
                ("months", "6"), ("acceptedAgreement", "yes"),
            ]
            let (filedStatus, _, location) = try await Self.post(
                "/datasets/\(floating)/apply", fields, developer, client)
            #expect(filedStatus == .seeOther || filedStatus == .found)
            let statusPath = try #require(location?.split(separator: "?").first.map(String.init))
            let (_, pending) = try await Self.get(statusPath, developer, client)
            #expect(pending.contains("待审核") && pending.contains("审核期限"))
            let (twice, twicePage, _) = try await Self.post("/datasets/\(floating)/apply", fields, developer, client)
            #expect(twice == .conflict && twicePage.contains("您已有该数据集的申请"))

            // Another developer cannot see it.
            let stranger = try await Self.register(
                "other@example.com", name: "李四", idNumber: Self.otherIDNumber, client)
            let (hidden, _) = try await Self.get(statusPath, stranger, client)
            #expect(hidden == .notFound)

            // The provider (公安局) answers in the console.
            let (officer, _) = try await node.user("police-data", department: fixture.police, roles: [.provider])
            _ = officer
            let browser = try await ConsoleTests.signIn("police-data", ["police-data": "password-123"], client)
            let (_, queue) = try await ConsoleTests.get("/console/open-requests", browser, client)
            #expect(queue.contains("六安数据科技有限公司") && queue.contains("专机存储，访问留痕"))
            let request = try #require(try await node.store.developers.requests(developerID: 1).first)
            // Another department's provider neither sees nor answers it.
            _ = try await node.user("market-data", department: fixture.market, roles: [.provider])
            let market = try await ConsoleTests.signIn("market-data", ["market-data": "password-123"], client)
            let (_, marketQueue) = try await ConsoleTests.get("/console/open-requests", market, client)
            #expect(!marketQueue.contains(request.number))
            let (foreign, _, _) = try await ConsoleTests.post(
                "/console/open-requests/\(request.id)/decision", "decision=approve&comment=", market, client)
            #expect(foreign == .notFound)
            let (noReason, noReasonPage, _) = try await ConsoleTests.post(
                "/console/open-requests/\(request.id)/decision", "decision=refuse&comment=", browser, client)
            #expect(noReason == .badRequest)
            #expect(noReasonPage.contains(#"id="comment-error-\#(request.id)""#))
            #expect(try await node.store.developers.request(id: request.id)?.state == .pending)
            let (approved, _, _) = try await ConsoleTests.post(
                "/console/open-requests/\(request.id)/decision", "decision=approve&comment=", browser, client)
            #expect(approved == .seeOther || approved == .found)

            let (_, decided) = try await Self.get(statusPath, developer, client)
            #expect(decided.contains("已同意") && decided.contains("download.csv"))
            #expect(decided.contains("<title>\(request.number) · "), "the page is titled with the application's number")
            let (download, csv) = try await Self.get("/datasets/\(floating)/download.csv", developer, client)
            #expect(download == .ok)
            #expect(csv.contains("赵六六") && csv.contains("赵六七"))
            // Still nobody else's: the other developer and the public are refused.
            #expect(try await Self.get("/datasets/\(floating)/download.csv", stranger, client).0 == .forbidden)
            #expect(try await client.page("/datasets/\(floating)/download.json").0 == .forbidden)
            let downloads = try await Self.audited(.openDownload, node.store)
            #expect(downloads.count == 1 && downloads.first?.event.detail["request"] == request.number)

            // The result is published without the use case or the person.
            let (_, results) = try await client.page("/portal/results")
            #expect(results.contains(request.number) && results.contains("六安数据科技有限公司"))
            #expect(!results.contains("专机存储") && !results.contains("张小明"))

            // The provider withdraws the approval, saying why; the downloads stop at once.
            let (noReasonRevoke, noReasonRevokePage, _) = try await ConsoleTests.post(
                "/console/open-requests/\(request.id)/revoke", "reason=", browser, client)
            #expect(noReasonRevoke == .badRequest)
            #expect(noReasonRevokePage.contains(#"id="reason-error-\#(request.id)""#))
            let (revoked, _, _) = try await ConsoleTests.post(
                "/console/open-requests/\(request.id)/revoke", "reason=\(PortalTests.encoded("申请人违反数据利用协议"))",
                browser, client)
            #expect(revoked == .seeOther || revoked == .found)
            #expect(try await Self.get("/datasets/\(floating)/download.csv", developer, client).0 == .forbidden)
            let (_, afterRevocation) = try await Self.get(statusPath, developer, client)
            #expect(afterRevocation.contains("已撤销") && afterRevocation.contains("申请人违反数据利用协议"))
            #expect(!afterRevocation.contains("download.csv"))
            let (_, publishedRevocation) = try await client.page("/portal/results")
            #expect(publishedRevocation.contains("已撤销"))
        }
    }

    @Test(
        "a developer's key reads open rows page by page, masked; conditional data needs an approval; a revoked key stops",
        arguments: TestBackend.available)
    func openAPI(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            let developer = try await Self.register("dev@example.com", client)
            let (created, page, _) = try await Self.post(
                "/portal/account/keys", [("label", "城市地图应用")], developer, client)
            #expect(created == .created)
            let key = try #require(
                page.range(of: #"hdk_[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(page[$0]) })
            let (_, later) = try await Self.get("/portal/account", developer, client)
            #expect(!later.contains(key) && later.contains("城市地图应用"))
            let (noLabel, noLabelPage, _) = try await Self.post(
                "/portal/account/keys", [("label", " ")], developer, client)
            #expect(noLabel == .badRequest && noLabelPage.contains(#"id="label-error""#))

            let rows = "/api/v1/open/datasets/\(fixture.licences.id)/rows"
            let (missing, missingBody) = try await client.failure(.get, rows)
            #expect(missing == .unauthorized && missingBody.code == "api_key_required")
            let (wrong, wrongBody) = try await client.failure(
                .get, rows, headers: [OpenDataAPITestHeader.key: "hdk_nope"])
            #expect(wrong == .unauthorized && wrongBody.code == "invalid_api_key")

            let headers: HTTPFields = [OpenDataAPITestHeader.key: key]
            let (ok, first) = try await client.send(
                .get, rows + "?limit=2", headers: headers, as: OpenDataAPI.Page.self)
            #expect(ok == .ok)
            #expect(first.total == 3)
            let firstRows = first.rows
            #expect(firstRows.count == 2)
            #expect(firstRows.first?["fddbr"]?.text == "张**" && firstRows.first?["lxdh"]?.text == "138****5678")
            #expect(firstRows.allSatisfy { $0["zjhm"] == nil }, "an item graded 一般3级 never leaves")
            let next = try #require(first.next)
            let (_, second) = try await client.send(
                .get, rows + "?limit=2&cursor=\(next)", headers: headers, as: OpenDataAPI.Page.self)
            let secondRows = second.rows
            #expect(secondRows.map { $0["tyshxydm"]?.text } == ["91341500MA2N0003XC"])
            #expect(second.next == nil)
            let (badCursor, badCursorBody) = try await client.failure(.get, rows + "?cursor=xyz", headers: headers)
            #expect(badCursor == .badRequest && badCursorBody.fields == ["cursor"])
            let badLimit = try await client.status(.get, rows + "?limit=5000", headers: headers)
            #expect(badLimit == .badRequest)

            let (conditional, conditionalBody) = try await client.failure(
                .get, "/api/v1/open/datasets/\(fixture.floating.id)/rows", headers: headers)
            #expect(conditional == .forbidden && conditionalBody.code == "open_access_required")
            let closed = try await client.status(
                .get, "/api/v1/open/datasets/\(fixture.closed.id)/rows", headers: headers)
            #expect(closed == .notFound)
            let calls = try await Self.audited(.gatewayOpenRows, node.store)
            #expect(calls.map(\.event.outcome.name) == ["denied", "allowed", "allowed"])
            #expect(calls.allSatisfy { !$0.event.detail.values.contains(key) })

            let keyID = try #require(try await node.store.developers.keys(developerID: 1).first?.id)
            let (revoked, _, _) = try await Self.post("/portal/account/keys/\(keyID)/revoke", [], developer, client)
            #expect(revoked == .seeOther || revoked == .found)
            let after = try await client.status(.get, rows, headers: headers)
            #expect(after == .unauthorized)
        }
    }

    @Test(
        "anyone reports a data problem without an account, is told what is missing, and follows the answer with the tracking code",
        arguments: TestBackend.available)
    func feedback(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            let (_, form) = try await client.page("/portal/feedback?dataset=\(fixture.licences.id)")
            #expect(form.contains(#"<option value="\#(fixture.licences.id)" selected>"#))
            #expect(!form.contains("人口敏感信息"))

            let (missing, missingPage, _) = try await Self.postAnonymous(
                "/portal/feedback", to: "/portal/feedback",
                [("dataset", String(fixture.licences.id)), ("description", "法定代表人已变更"), ("contactName", "王先生")],
                client)
            #expect(missing == .badRequest)
            #expect(missingPage.contains(#"id="contactPhone-error""#))
            #expect(missingPage.contains(">法定代表人已变更</textarea>") && missingPage.contains(#"value="王先生""#))

            let (sent, receipt, _) = try await Self.postAnonymous(
                "/portal/feedback", to: "/portal/feedback",
                [
                    ("dataset", String(fixture.licences.id)), ("description", "法定代表人已变更"), ("contactName", "王先生"),
                    ("contactPhone", "13800001111"),
                ], client)
            #expect(sent == .created)
            let number = try #require(Self.code("feedback-number", in: receipt))
            let tracking = try #require(Self.code("feedback-tracking", in: receipt))
            let objection = try #require(
                try await node.store.objections.find(number: number, trackingDigest: Secrets.digest(of: tracking)))
            #expect(objection.entryID == fixture.licences.id && objection.state == .open)

            let (notFound, _, _) = try await Self.postAnonymous(
                "/portal/feedback/track", to: "/portal/feedback/track",
                [("number", number), ("trackingToken", "yy_wrong")],
                client)
            #expect(notFound == .notFound)
            let (found, status, _) = try await Self.postAnonymous(
                "/portal/feedback/track", to: "/portal/feedback/track",
                [("number", number), ("trackingToken", tracking)],
                client)
            #expect(found == .ok && status.contains("待核实") && status.contains(fixture.licences.code.text))
            #expect(!status.contains("13800001111"))
        }
    }

    @Test(
        "an application left unanswered past its deadline is put before the operators once and listed as overdue",
        arguments: TestBackend.available)
    func overdue(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            _ = try await Self.register("dev@example.com", client)
            let developer = try #require(try await node.store.developers.find(id: 1))
            let now = Date()
            let late = try await node.store.developers.createRequest(
                OpenAccessDraft(
                    entryID: fixture.floating.id, purpose: "研究城市人口流动规律", scenario: "高校课题", securityMeasures: "专机存储",
                    months: 3, acceptedAgreement: true),
                developer: developer, entry: fixture.floating, deadline: now.addingTimeInterval(-60),
                at: now.addingTimeInterval(-86_400 * 20))
            let service = DeveloperUseCases(
                store: node.store, settings: DeveloperSettings(), accounts: node.accounts,
                audit: AuditTrail(repository: node.store.audit, nodeKey: .generate()))
            #expect(try await service.sweepOverdue(at: now).map(\.id) == [late.id])
            #expect(try await service.sweepOverdue(at: now).isEmpty, "escalated once")

            let admin = try await ConsoleTests.signIn("admin", ["admin": node.operatorPassword], client)
            let (_, page) = try await ConsoleTests.get("/console/overdue", admin, client)
            #expect(page.contains(late.number) && page.contains("六安市公安局"))
            let (_, notifications) = try await client.send(
                .get, "/api/v1/notifications", token: node.operatorToken, as: SharingAPI.NotificationsBody.self)
            let kinds = notifications.items.map(\.kind.rawValue)
            #expect(kinds.contains("openAccessEscalated"), "\(notifications)")
        }
    }

    @Test(
        "ID numbers are kept as a keyed digest of the node's suite; a person registered before a switch to 国密 is still recognised",
        arguments: TestBackend.available)
    func identityAcrossSuites(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let accounts = AccountUseCases(store: store, bcryptCost: 4)
            let nodeKey = NodeIdentityKey.generate()
            func service(_ suite: CryptoSuiteID) throws -> DeveloperUseCases {
                let checkpointKey = suite == .gm ? SigningPrivateKey(sm2: try SM2PrivateKey.generate()) : nil
                return DeveloperUseCases(
                    store: store, settings: DeveloperSettings(), accounts: accounts,
                    audit: AuditTrail(repository: store.audit, nodeKey: nodeKey, checkpointKey: checkpointKey))
            }
            func person(_ email: String, _ idNumber: String) -> DeveloperRegistration {
                DeveloperRegistration(
                    email: email, name: "张小明", idNumber: idNumber, organisation: "", organisationCode: "",
                    password: "secret-pass-1", acceptedAgreement: true)
            }
            func digest(_ email: String) async throws -> String {
                try await store.provider.read { sql in
                    try await sql.raw("SELECT identity_digest FROM developers WHERE email = \(bind: email)").first()!
                        .decode(column: "identity_digest", as: String.self)
                }
            }
            _ = try await service(.intl).register(person("before@example.com", "11010519491231002X"))
            #expect(try await digest("before@example.com").count == 64, "HMAC-SHA256, as before suites")

            let gm = try service(.gm)
            await #expect(throws: StoreError.duplicate(field: "idNumber", value: "")) {
                _ = try await gm.register(person("after@example.com", "11010519491231002X"))
            }
            _ = try await gm.register(person("new@example.com", "110101199003070011"))
            let stored = try await digest("new@example.com")
            #expect(stored.hasPrefix("sm3:") && stored.count == 68, "HMAC-SM3 under 国密, recorded as such")
            #expect(!stored.contains("110101199003070011"))
            await #expect(throws: StoreError.duplicate(field: "idNumber", value: "")) {
                _ = try await gm.register(person("again@example.com", "110101199003070011"))
            }
        }
    }

    @Test("a developer setting out of range stops start-up, naming the variable")
    func settings() throws {
        #expect(throws: Never.self) { try DeveloperSettings().validated() }
        do {
            _ = try DeveloperSettings(answerDays: 0, keysPerDeveloper: 500, sweepInterval: .zero).validated()
            Issue.record("bad settings were accepted")
        } catch {
            #expect(
                error.issues.map(\.field) == [
                    "HUITONG_OPEN_ACCESS_ANSWER_DAYS", "HUITONG_DEVELOPER_KEYS", "HUITONG_OPEN_ACCESS_SWEEP_SECONDS",
                ])
        }
    }

    /// The audit log's entries of one action, newest first.
    static func audited(_ action: AuditAction, _ store: Store) async throws -> [AuditEntry] {
        try await store.audit.search(AuditEntryFilter(action: action, limit: 50)).compactMap {
            if case .entry(let entry) = $0 { return entry }
            return nil
        }
    }

    static func code(_ id: String, in html: String) -> String? {
        guard let range = html.range(of: #"<code id="\#(id)">"#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "<" })
    }
}

enum OpenDataAPITestHeader {
    static let key = HTTPField.Name("X-API-Key")!
}
