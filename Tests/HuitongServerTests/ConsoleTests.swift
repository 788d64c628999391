import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import HuitongDemo
@testable import HuitongServer
@testable import HuitongServices

/// The console through the real application over the whole demo city, signed in through the sign-in form as the
/// demo's officers: each role's pages with real data, the forms that post to the services, and every link.
@Suite("Console")
struct ConsoleTests {
    /// A signed-in browser: its session cookie and the session's anti-forgery token (read from a page's form).
    struct Browser {
        let cookie: String
        let csrf: String

        var headers: HTTPFields { [.cookie: cookie] }
        var formHeaders: HTTPFields { [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"] }
    }

    static func withDemo(
        _ backend: TestBackend,
        _ body: @escaping @Sendable (Store, [String: String], any TestClientProtocol) async throws -> Void
    ) async throws {
        try await backend.withFreshDatabase { store, _ in
            try await NodeStartup.prepare(store: store)
            let issued = try #require(try await DemoData.load(into: AccountUseCases(store: store, bcryptCost: 4)))
            let passwords = Dictionary(uniqueKeysWithValues: issued.map { ($0.username, $0.password) })
            let app = try await HuitongApp.buildApplication(reader: TestConfiguration.reader(), store: store) {
                $0 = TestNode.configuration.served(by: $0)
            }
            try await app.test(.router) { client in
                try await body(store, passwords, client)
            }
        }
    }

    /// Signs in through `/login` as a person would, and reads the session's token from the console page.
    static func signIn(_ username: String, _ passwords: [String: String], _ client: some TestClientProtocol)
        async throws -> Browser
    {
        let (html, formCookie) = try await client.execute(uri: "/login", method: .get) { response in
            (String(buffer: response.body), PagesAndContractTests.cookie("huitong_csrf", in: response.headers))
        }
        let token = try #require(PagesAndContractTests.hiddenField("_csrf", in: html))
        let password = try #require(passwords[username])
        let session = try await client.execute(
            uri: "/login", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: try #require(formCookie)],
            body: ByteBuffer(string: "username=\(username)&password=\(PortalTests.encoded(password))&_csrf=\(token)")
        ) { PagesAndContractTests.cookie("huitong_session", in: $0.headers) }
        let cookie = try #require(session, "\(username) signs in")
        let console = try await client.execute(uri: "/console", method: .get, headers: [.cookie: cookie]) {
            String(buffer: $0.body)
        }
        return Browser(cookie: cookie, csrf: try #require(PagesAndContractTests.hiddenField("_csrf", in: console)))
    }

    static func get(_ path: String, _ browser: Browser, _ client: some TestClientProtocol) async throws -> (
        HTTPResponse.Status, String
    ) {
        try await client.execute(uri: path, method: .get, headers: browser.headers) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func post(_ path: String, _ form: String, _ browser: Browser, _ client: some TestClientProtocol)
        async throws -> (HTTPResponse.Status, String, String?)
    {
        try await client.execute(
            uri: path, method: .post, headers: browser.formHeaders,
            body: ByteBuffer(string: "_csrf=\(PortalTests.encoded(browser.csrf))&" + form)
        ) { ($0.status, String(buffer: $0.body), $0.headers[.location]) }
    }

    static func entry(_ store: Store, _ name: String) async throws -> CatalogEntry {
        let found = try await store.catalog.search(
            CatalogQuery(text: name, statuses: Set(EntryStatus.allCases), limit: 20), facets: [])
        return try #require(found.entries.first { $0.content.name == name })
    }

    @Test("each role's console pages render the demo's real data", arguments: TestBackend.available)
    func rolesSeeTheirData(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, passwords, client in
            // Signing in is needed: a stranger is sent to the sign-in page and back.
            let stranger = try await client.execute(uri: "/console/review", method: .get) { $0 }
            #expect(stranger.status == .seeOther)
            #expect(stranger.headers[.location] == "/login?next=/console/review")

            let admin = try await Self.signIn("admin", passwords, client)
            let (dashboardStatus, dashboard) = try await Self.get("/console/dashboard", admin, client)
            #expect(dashboardStatus == .ok)
            for rate in try await store.catalog.mountRates() {
                #expect(dashboard.contains(rate.departmentName), "挂接率 names \(rate.departmentName)")
            }
            #expect(dashboard.contains(#"id="chart-calls""#) && dashboard.contains(#"id="chart-mount""#))
            let submitted = try await store.catalog.search(CatalogQuery(statuses: [.submitted], limit: 100), facets: [])
            #expect(submitted.total > 0, "the demo has entries awaiting review")
            let (_, queue) = try await Self.get("/console/review", admin, client)
            for entry in submitted.entries { #expect(queue.contains(PortalTests.escaped(entry.content.name))) }
            let (_, people) = try await Self.get("/console/departments", admin, client)
            #expect(people.contains("gaj.provider") && people.contains("六安市卫生健康委员会"))
            let (_, audit) = try await Self.get("/console/audit", admin, client)
            #expect(audit.contains("校验通过"))
            let (overdueStatus, _) = try await Self.get("/console/overdue", admin, client)
            #expect(overdueStatus == .ok)
            let (_, lists) = try await Self.get("/console/lists", admin, client)
            for line in try await store.lists.coverage() where !line.missing.isEmpty {
                #expect(lists.contains(PortalTests.escaped(line.missing[0].content.resourceName)))
            }
            let negative = try #require(try await store.lists.listNegative(departmentID: nil).first)
            #expect(lists.contains(PortalTests.escaped(negative.content.legalBasis)))
            // The operator's sections are the operator's.
            let consumer = try await Self.signIn("rsj.officer", passwords, client)
            #expect(try await Self.get("/console/dashboard", consumer, client).0 == .forbidden)

            // 民政局 provides 婚姻登记信息, which 住建局 asked for: awaiting its decision, with the deadline.
            let civil = try await Self.signIn("mzj.officer", passwords, client)
            let marriageCode = try await Self.entry(store, "婚姻登记信息").code.text
            let marriage = try #require(
                try await store.applications.list(.all, state: .providerReview).first {
                    $0.resourceCode == marriageCode
                })
            let (_, toReview) = try await Self.get("/console/to-review", civil, client)
            #expect(toReview.contains(marriage.number))
            #expect(toReview.contains(PortalPages.dateTime(try #require(marriage.deadline))))
            let (_, entries) = try await Self.get("/console/entries", civil, client)
            #expect(entries.contains("婚姻登记信息"))
            #expect(!entries.contains("人口基础信息"), "another department's entry is not listed as mine")

            // 人社局's approved application and its grant, and its application system.
            let (_, applications) = try await Self.get("/console/applications", consumer, client)
            let rsj = try #require(try await store.users.find(username: "rsj.officer"))
            let approved = try #require(
                try await store.applications.list(.all, state: .approved).first {
                    $0.consumerDepartmentID == rsj.departmentID
                })
            #expect(applications.contains(approved.number))
            #expect(applications.contains("生效中"))
            let (_, systems) = try await Self.get("/console/systems", consumer, client)
            #expect(systems.contains("社保待遇资格认证系统"))
            let (_, search) = try await Self.get("/console/catalog?q=%E5%A9%9A%E5%A7%BB", consumer, client)
            #expect(search.contains("婚姻登记信息"))
            // The search form is `method="get"`: a browser sends the space between two words as "+".
            let (_, twoWords) = try await Self.get(
                "/console/catalog?q=%E5%A9%9A%E5%A7%BB+%E7%99%BB%E8%AE%B0", consumer, client)
            #expect(twoWords.contains("婚姻登记信息") && twoWords.contains(#"value="婚姻 登记""#))
        }
    }

    @Test("a credential created in the console shows its secret once; the dashboard draws the calls it makes")
    func credentialAndDashboardBars() async throws {
        try await Self.withDemo(.sqlite) { store, passwords, client in
            let consumer = try await Self.signIn("rsj.officer", passwords, client)
            let rsj = try #require(try await store.users.find(username: "rsj.officer"))
            let system = try #require(try await store.applicationSystems.list(departmentID: rsj.departmentID).first)

            let (emptyName, emptyPage, _) = try await Self.post(
                "/console/systems/\(system.id)/credentials", "name=", consumer, client)
            #expect(emptyName == .badRequest)
            #expect(emptyPage.contains(#"id="credential-name-\#(system.id)-error""#))

            let (status, page, _) = try await Self.post(
                "/console/systems/\(system.id)/credentials", "name=\(PortalTests.encoded("核验接口"))", consumer, client)
            #expect(status == .created)
            let secret = try #require(
                page.components(separatedBy: #"<code class="secret-value">"#).dropFirst().first?
                    .components(separatedBy: "<").first)
            #expect(secret.hasPrefix("hts"))
            let (_, again) = try await Self.get("/console/systems", consumer, client)
            #expect(!again.contains(secret), "the secret is shown once only")
            #expect(again.contains("核验接口"))

            let population = try await Self.entry(store, "人口基础信息")
            for _ in 0..<3 {
                let callStatus = try await client.status(
                    .get, "/gateway/v1/\(population.code.text)/records?sfzhm=341502199001010000", token: secret)
                #expect(callStatus.code < 500)
            }
            let admin = try await Self.signIn("admin", passwords, client)
            let (_, dashboard) = try await Self.get("/console/dashboard", admin, client)
            let chart = try #require(
                dashboard.components(separatedBy: #"id="chart-calls""#).dropFirst().first?
                    .components(separatedBy: "</svg>").first)
            let bars = chart.components(separatedBy: #"<rect class="bar""#).dropFirst()
            #expect(bars.count == ConsolePages.days, "one bar a day")
            #expect(bars.last?.contains(#"data-value="3""#) == true, "today's bar holds the three calls")
            #expect(bars.dropLast().allSatisfy { $0.contains(#"data-value="0""#) })
            #expect(dashboard.contains(PortalTests.escaped(population.content.name)), "top resources name the entry")

            let (_, usage) = try await Self.get("/console/usage", consumer, client)
            #expect(usage.contains(population.code.text))
            #expect(usage.contains(#"data-value="3""#))
        }
    }

    @Test("the review queue's approve form publishes the entry; a forged form changes nothing")
    func reviewPublishes() async throws {
        try await Self.withDemo(.sqlite) { store, passwords, client in
            let admin = try await Self.signIn("admin", passwords, client)
            let waiting = try #require(
                try await store.catalog.search(CatalogQuery(statuses: [.submitted], limit: 1), facets: []).entries.first
            )

            let forged = try await client.execute(
                uri: "/console/review/\(waiting.id)/publish", method: .post, headers: admin.formHeaders,
                body: ByteBuffer(string: "_csrf=forged")
            ) { $0.status }
            #expect(forged == .forbidden)
            #expect(try await store.catalog.find(id: waiting.id)?.status == .submitted)

            // The queue's button first shows what publishing changes, with the button that publishes.
            let (_, queueBefore) = try await Self.get("/console/review", admin, client)
            #expect(queueBefore.contains(#"href="/console/review/\#(waiting.id)""#))
            let (reviewStatus, review) = try await Self.get("/console/review/\(waiting.id)", admin, client)
            #expect(reviewStatus == .ok && review.contains(#"class="review-changes""#))
            #expect(review.contains(PortalTests.escaped(waiting.content.name)))
            #expect(review.contains(#"action="/console/review/\#(waiting.id)/publish""#))

            let (status, _, location) = try await Self.post("/console/review/\(waiting.id)/publish", "", admin, client)
            #expect(status == .seeOther && location == "/console/review?done=published")
            #expect(try await store.catalog.find(id: waiting.id)?.status == .published)
            let (_, queue) = try await Self.get("/console/review?done=published", admin, client)
            #expect(queue.contains("目录已审核通过并发布"))
            #expect(!queue.contains(#"id="entry-\#(waiting.id)""#))

            // Publishing again is not a step from `published`: the page says why, and nothing changes.
            let (again, page, _) = try await Self.post("/console/review/\(waiting.id)/publish", "", admin, client)
            #expect(again.code >= 400 && again.code < 500)
            #expect(page.contains(#"<p class="error" role="alert">"#))
        }
    }

    @Test("a provider approves and refuses through the form; a refusal without a reason keeps what was typed")
    func providerDecides() async throws {
        try await Self.withDemo(.sqlite) { store, passwords, client in
            let civil = try await Self.signIn("mzj.officer", passwords, client)
            let marriage = try await Self.entry(store, "婚姻登记信息")
            let application = try #require(
                try await store.applications.list(.all, state: .providerReview).first {
                    $0.resourceCode == marriage.code.text
                })
            let typed = "仅凭<购房>需要不足以调取双方身份证号码"
            let (status, page, _) = try await Self.post(
                "/console/applications/\(application.id)/decision",
                "kind=refuse&refusalReason=&comment=\(PortalTests.encoded(typed))", civil, client)
            #expect(status == .badRequest)
            #expect(page.contains(PortalTests.escaped(typed)), "the comment typed is kept")
            #expect(page.contains(#"id="reason-\#(application.id)-error""#), "the error is next to the reason")
            #expect(page.contains(#"<option value="refuse" selected>"#))
            #expect(try await store.applications.find(id: application.id)?.state == .providerReview)

            let (approved, _, location) = try await Self.post(
                "/console/applications/\(application.id)/decision", "kind=approve&comment=", civil, client)
            #expect(approved == .seeOther && location == "/console/to-review?done=decided")
            let decided = try #require(try await store.applications.find(id: application.id))
            #expect(decided.state == .approved && decided.grantID != nil)
        }
    }

    @Test("the application form keeps what was typed, names each wrong field, and files a good application")
    func applyForm() async throws {
        try await Self.withDemo(.sqlite) { store, passwords, client in
            let consumer = try await Self.signIn("rsj.officer", passwords, client)
            let marriage = try await Self.entry(store, "婚姻登记信息")
            let (formStatus, form) = try await Self.get("/console/apply/\(marriage.id)", consumer, client)
            #expect(formStatus == .ok)
            #expect(form.contains(#"<label for="field-purposeText">"#))
            let before = try await store.applications.list(.all, state: nil).count

            let purpose = "核对参保人员婚姻状况 & 遗属待遇"
            let bad = [
                "items=djlx", "items=djrq", "purpose=administrativeBasis",
                "purposeText=\(PortalTests.encoded(purpose))", "legalBasis=", "scenario=",
                "channel=api", "validFrom=2099-13-01", "validTo=2099-01-01", "expectedDailyCalls=lots",
            ].joined(separator: "&")
            let (status, page, _) = try await Self.post("/console/apply/\(marriage.id)", bad, consumer, client)
            #expect(status == .badRequest)
            #expect(page.contains(PortalTests.escaped(purpose)), "typed text is kept")
            #expect(page.contains(#"value="djlx" checked"#) && page.contains(#"value="djrq" checked"#))
            #expect(page.contains(#"value="lots""#))
            for field in ["legalBasis", "scenario", "validFrom", "expectedDailyCalls"] {
                #expect(page.contains(#"id="\#(field)-error""#), "\(field) has its error")
                #expect(page.contains(##"href="#field-\##(field)""##), "the summary links to \(field)")
            }
            #expect(!page.contains(#"id="purposeText-error""#))
            #expect(try await store.applications.list(.all, state: nil).count == before, "nothing was filed")

            let today = CalendarDate.today()
            let good = [
                "items=djlx", "items=djrq", "purpose=administrativeBasis",
                "purposeText=\(PortalTests.encoded(purpose))", "legalBasis=\(PortalTests.encoded("《社会保险法》"))",
                "scenario=\(PortalTests.encoded("遗属待遇审核"))", "channel=api", "validFrom=\(today)",
                "validTo=\(today.addingDays(30))", "expectedDailyCalls=200", "action=submit",
            ].joined(separator: "&")
            let (filed, _, location) = try await Self.post("/console/apply/\(marriage.id)", good, consumer, client)
            #expect(filed == .seeOther && location == "/console/applications?done=applied")
            let application = try #require(
                try await store.applications.list(.all, state: .providerReview).first {
                    $0.resourceCode == marriage.code.text && $0.content.purposeText == purpose
                })
            #expect(application.content.items == ["djlx", "djrq"])
            let (_, mine) = try await Self.get("/console/applications", consumer, client)
            #expect(mine.contains(application.number))
        }
    }

    @Test("a provider drafts an entry through the form, sees each wrong item row named, and submits it for review")
    func providerDraftsEntry() async throws {
        try await Self.withDemo(.sqlite) { store, passwords, client in
            let civil = try await Self.signIn("mzj.officer", passwords, client)
            let (formStatus, form) = try await Self.get("/console/entries/new", civil, client)
            #expect(formStatus == .ok && form.contains(#"<option value="203003">"#))
            let name = "殡葬服务机构信息"
            var fields = [
                "name=\(PortalTests.encoded(name))", "abstract=\(PortalTests.encoded("全市殡葬服务机构的名称、地址与许可"))",
                "classificationCode=203003", "formatCategory=database", "formatType=\(PortalTests.encoded("库表"))",
                "shareType=unconditional", "openness=closed", "updateCycle=monthly", "keywords=",
                "item_name_0=\(PortalTests.encoded("机构名称"))", "item_column_0=jgmc", "item_type_0=C",
                "item_key_0=on",
                // Row 3 is filled, rows 1–2 left empty: its error must point at row 3.
                "item_name_3=\(PortalTests.encoded("地址"))", "item_column_3=\(PortalTests.encoded("地 址"))",
                "item_type_3=C",
            ]
            let (bad, page, _) = try await Self.post("/console/entries", fields.joined(separator: "&"), civil, client)
            #expect(bad == .badRequest)
            #expect(page.contains(#"id="item-3-error""#), "the wrong column is named on its own row")
            #expect(!page.contains(#"id="item-0-error""#))
            #expect(page.contains(#"value="\#(name)""#) && page.contains(#"value="jgmc""#))
            #expect(page.contains(#"<option value="203003" selected>"#))
            #expect(
                try await store.catalog.search(
                    CatalogQuery(text: name, statuses: Set(EntryStatus.allCases)), facets: []
                ).total == 0)

            fields[fields.count - 2] = "item_column_3=dz"
            let (created, _, location) = try await Self.post(
                "/console/entries", fields.joined(separator: "&"), civil, client)
            #expect(created == .seeOther)
            let entry = try await Self.entry(store, name)
            #expect(location == "/console/entries/\(entry.id)?done=created")
            #expect(entry.status == .draft && entry.content.items.map(\.columnName) == ["jgmc", "dz"])
            let (_, view) = try await Self.get(try #require(location), civil, client)
            #expect(view.contains("目录草稿已保存") && view.contains("/console/entries/\(entry.id)/submit"))

            let (submitted, _, back) = try await Self.post("/console/entries/\(entry.id)/submit", "", civil, client)
            #expect(submitted == .seeOther && back == "/console/entries?done=submitted")
            #expect(try await store.catalog.find(id: entry.id)?.status == .submitted)
        }
    }

    @Test("every link reachable from each role's console answers without error")
    func crawl() async throws {
        try await Self.withDemo(.sqlite) { _, passwords, client in
            for username in ["admin", "sjj.auditor", "gaj.provider", "gaj.consumer", "mzj.officer", "rsj.officer"] {
                let browser = try await Self.signIn(username, passwords, client)
                var queue = ["/console"]
                var seen: Set<String> = ["/console"]
                var visited = 0
                while !queue.isEmpty {
                    let path = queue.removeFirst()
                    let (status, body, type) = try await client.execute(
                        uri: path, method: .get, headers: browser.headers
                    ) { ($0.status, String(buffer: $0.body), $0.headers[.contentType] ?? "") }
                    visited += 1
                    #expect(status.code < 400, "\(username): \(path) answered \(status.code)")
                    // Links out of the console (the portal, the language switch) are checked but not followed:
                    // the portal has its own crawl.
                    guard type.hasPrefix("text/html"), path.hasPrefix("/console"), !path.contains("lang=") else {
                        continue
                    }
                    for link in PortalTests.links(in: body, from: path) where seen.insert(link).inserted {
                        queue.append(link)
                    }
                }
                #expect(visited > 5, "\(username) reached only \(visited) pages")
            }
        }
    }
}
