import Foundation
import HTTPTypes
import HuitongCore
import HuitongDemo
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

@Suite("Pages, contract and demo")
struct PagesAndContractTests {
    /// The value of a `name="…" value="…"` hidden field in a page.
    static func hiddenField(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        headers[values: .setCookie].compactMap { line -> String? in
            let pair = line.components(separatedBy: ";")[0]
            return pair.hasPrefix("\(name)=") ? pair : nil
        }.first
    }

    @Test("the sign-in page renders, signs in with the right password and keeps the username on failure")
    func signIn() async throws {
        try await TestNode.run { node, client in
            let (html, formCookie) = try await client.execute(uri: "/login", method: .get) { response in
                (String(buffer: response.body), Self.cookie("huitong_csrf", in: response.headers))
            }
            #expect(html.contains("登录"))
            let token = try #require(Self.hiddenField("_csrf", in: html))
            let cookie = try #require(formCookie)
            let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: cookie]

            let wrong = try await client.execute(
                uri: "/login", method: .post, headers: formHeaders,
                body: ByteBuffer(string: "username=admin&password=nope&_csrf=\(token)&next=")
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(wrong.0 == .unauthorized)
            #expect(wrong.1.contains("用户名或密码错误"))
            #expect(wrong.1.contains(#"value="admin""#))

            let forged = try await client.execute(
                uri: "/login", method: .post, headers: formHeaders,
                body: ByteBuffer(string: "username=admin&password=\(node.operatorPassword)&_csrf=forged")
            ) { $0.status }
            #expect(forged == .forbidden)

            let session = try await client.execute(
                uri: "/login", method: .post, headers: formHeaders,
                body: ByteBuffer(
                    string: "username=admin&password=\(node.operatorPassword)&_csrf=\(token)&next=/console")
            ) { response -> String? in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/console")
                return Self.cookie("huitong_session", in: response.headers)
            }
            let sessionCookie = try #require(session)
            let console = try await client.execute(uri: "/console", method: .get, headers: [.cookie: sessionCookie]) {
                String(buffer: $0.body)
            }
            #expect(console.contains("六安市数据资源管理局"))
            #expect(console.contains("admin"))

            // Signing out needs the session's CSRF token and ends the session.
            let logoutToken = try #require(Self.hiddenField("_csrf", in: console))
            _ = try await client.execute(
                uri: "/logout", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: sessionCookie],
                body: ByteBuffer(string: "_csrf=\(logoutToken)")
            ) { $0.status }
            let after = try await client.execute(uri: "/console", method: .get, headers: [.cookie: sessionCookie]) {
                $0
            }
            #expect(after.status == .seeOther)
        }
    }

    @Test("every page a handler renders has its template in the resources")
    func everyPageHasItsTemplate() async throws {
        let pages = try await PageRenderer.load()
        #expect(pages.missingTemplates().isEmpty)
    }

    @Test("pages speak Chinese first and switch to English; every string exists in both catalogues")
    func languages() async throws {
        let pages = try await PageRenderer.load()
        #expect(pages.missingTranslations().isEmpty)
        try await TestNode.run { _, client in
            let chinese = try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) }
            #expect(chinese.contains(#"lang="zh-CN""#))
            #expect(chinese.contains("汇通公共数据资源平台"))
            let english = try await client.execute(uri: "/?lang=en", method: .get) { String(buffer: $0.body) }
            #expect(english.contains(#"lang="en""#))
            #expect(english.contains("Huitong Public Data Platform"))
        }
    }

    @Test("an unknown page is a 404 page for browsers and JSON for API clients")
    func notFound() async throws {
        try await TestNode.run { _, client in
            let page = try await client.execute(uri: "/nowhere", method: .get, headers: [.accept: "text/html"]) { $0 }
            #expect(page.status == .notFound)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let (status, body) = try await client.failure(.get, "/api/v1/nowhere")
            #expect(status == .notFound)
            #expect(body.code == "not_found")
        }
    }

    @Test("every route is in the OpenAPI contract, and the contract lists no route that does not exist")
    func contractCoversRoutes() async throws {
        let pages = try await PageRenderer.load()
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let audit = AuditTrail(repository: store.audit, nodeKey: .generate())
            let useCases = UseCases(store: store, audit: audit, settings: TestNode.configuration.useCaseSettings)
            let router = HuitongApp.buildRouter(
                useCases: useCases, configuration: TestNode.configuration, pages: pages,
                federation: HuitongApp.makeFederationNode(useCases: useCases, configuration: TestNode.configuration))
            // Server-rendered pages are for browsers, not part of the API contract; the DCAT documents and the
            // CKAN-compatible action API follow the W3C and CKAN specifications instead.
            let listedPaths: Set<String> = [
                "/", "/login", "/logout", "/console", "/static/app.css", "/static/console.js",
                "/catalog.ttl", "/catalog.jsonld", "/api/3/action/{action}", "/api/action/{action}",
                "/portal", "/datasets", "/datasets/{reference}", "/datasets/{reference}/download.csv",
                "/datasets/{reference}/download.json", "/datasets/{reference}/download.xlsx", "/licence", "/quality",
                "/quality/departments/{id}", "/quality/entries/{id}", "/portal/register", "/portal/login",
                "/portal/logout", "/portal/account", "/portal/account/keys", "/portal/account/keys/{id}/revoke",
                "/datasets/{reference}/apply", "/portal/requests/{id}", "/portal/results", "/portal/feedback",
                "/portal/feedback/track", "/licences/verify", "/licences/{identifier}/print",
                "/portal/licences", "/portal/licences/consents", "/portal/licences/consents/{id}/revoke",
                "/portal/licences/show", "/portal/joint-services", "/portal/joint-services/{code}",
                "/developers/api",
            ]
            let pagePaths = listedPaths.union(StaticAssets.files.map { "/static/\($0.path)" })
            let routes = Set(
                router.routes.map { route in
                    let path = route.path.description
                        .split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                        .joined(separator: "/")
                    return "\(route.method.rawValue.lowercased()) /\(path)"
                }
                .filter {
                    let path = String($0.split(separator: " ")[1])
                    return !pagePaths.contains(path) && !path.hasPrefix("/console/")
                })
            let document = try JSONDecoder().decode(JSONValue.self, from: OpenAPIDocument.data)
            #expect(document["openapi"] == "3.1.0")
            let paths = try #require(document["paths"]?.members)
            let documented = Set(
                paths.flatMap { path, operations in (operations.members ?? [:]).keys.map { "\($0) \(path)" } })
            #expect(routes.subtracting(documented).isEmpty, "routes missing from openapi.json")
            #expect(documented.subtracting(routes).isEmpty, "openapi.json documents routes that do not exist")
            #expect(routes.count > 20)
        }
    }

    @Test("the demo city loads once, with valid codes and officers of every role")
    func demo() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let accounts = AccountUseCases(store: store, bcryptCost: 4)
            let holderKeys = LicenceHolderKeys(digests: IdentityDigests(nodeKey: .generate(), suite: .gm))
            let licences = LicenceUseCases(store: store, sealingKey: TestBackend.sealingKey, holderKeys: holderKeys)
            let issued = try #require(try await DemoData.load(into: accounts, licences: licences))
            let departments = try await store.departments.list()
            #expect(departments.count == 11)
            #expect(departments.allSatisfy { $0.regionCode == "341500" })
            for department in departments {
                let draft = DepartmentDraft(
                    name: department.name, code: department.code, creditCode: department.creditCode,
                    regionCode: department.regionCode, parentID: nil)
                #expect(throws: Never.self) { try draft.validated() }
            }
            #expect(Set(issued.flatMap(\.roles)) == Set(Role.allCases))
            #expect(Set(issued.map(\.password)).count == issued.count)
            let admin = try #require(issued.first { $0.username == "admin" })
            let user = try await accounts.authenticate(username: "admin", password: admin.password, address: nil)
            #expect(user.has(.operator))
            try await Self.expectDemoCatalog(store)
            // The six licence types, each with its local issuer; the demo holder's licences sealed and valid.
            #expect(try await store.licences.types().count == 6)
            for type in try await store.licences.types() {
                let entryID = try #require(type.catalogEntryID)
                let entry = try #require(try await store.catalog.find(id: entryID))
                #expect(entry.status == .published && entry.content.name == type.type.name)
            }
            let holder = try LicenceHolder(
                kind: .person, code: DemoLicences.holderID, name: DemoLicences.holderName, today: CalendarDate.today())
            let held = try await store.licences.licences(holderKey: holderKeys.key(for: holder))
            #expect(held.count == 3)
            for licence in held {
                #expect(try await licences.seals.verify(licence.identifier).isValid)
            }
            #expect(try await store.licences.seals().count == 4, "民政局, 人社局, 公安局 and 市场监管局 sealed")
            #expect(try await DemoData.load(into: accounts) == nil)
            #expect(try await store.departments.count() == 11)
            #expect(try await Bootstrap.ensureOperator(accounts) == nil)
        }
    }

    /// The catalog the issue asks of the demo: about forty entries in every department, the population and
    /// enterprise entries with their items, and a withheld item that cites its negative-list row.
    static func expectDemoCatalog(_ store: Store) async throws {
        let all = try await store.catalog.search(
            CatalogQuery(statuses: Set(EntryStatus.allCases), limit: 1000), facets: [.department])
        #expect((35...50).contains(all.total))
        #expect(all.facets["department"]?.count == 8)
        let population = try #require(all.entries.first { $0.content.name == "人口基础信息" })
        #expect(population.provider.code == "GAJ" && population.status == .published)
        #expect(
            population.content.items.map(\.columnName) == [
                "sfzhm", "xm", "xb", "csrq", "hjdz", "sjhm", "xzqhdm", "djrq",
            ])
        #expect(
            population.content.items.first?.isKey == true && population.content.items.first?.semanticKind == .residentID
        )
        #expect(population.content.items.filter { $0.dataType == .date }.map(\.columnName) == ["csrq", "djrq"])
        #expect(population.content.items.first { $0.columnName == "xb" }?.codeSet == "GB/T 2261.1-2003")
        let coded = Set(all.entries.flatMap { $0.content.items.compactMap(\.codeSet) })
        let seeded = Set(try await store.codeSets.list().map(\.id))
        #expect(coded.count >= 5 && coded.isSubset(of: seeded), "every code set the demo names is seeded")
        let enterprise = try #require(all.entries.first { $0.content.name == "企业登记信息" })
        #expect(enterprise.provider.code == "SCJGJ" && enterprise.content.keyItems.map(\.columnName) == ["tyshxydm"])
        let withheld = all.entries.flatMap { entry in entry.content.items.filter { $0.shareType == .notShared } }
        let citation = try #require(withheld.compactMap(\.negativeListID).first)
        let row = try #require(try await store.lists.findNegative(id: citation))
        #expect(!row.content.legalBasis.isEmpty)
        let licence = try await store.catalog.search(CatalogQuery(text: "营业执照"), facets: [])
        #expect(licence.entries.contains { $0.content.name == "企业营业执照信息" })
        #expect(try await store.lists.coverage().contains { !$0.missing.isEmpty })
        #expect(try await store.catalog.mountRates().contains { $0.mounted > 0 })
    }

    @Test("a fresh node gets one operator with a generated password")
    func bootstrap() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let accounts = AccountUseCases(store: store, bcryptCost: 4)
            let issued = try #require(try await Bootstrap.ensureOperator(accounts))
            #expect(issued.roles == [.operator])
            #expect(PasswordRule.problem(with: issued.password) == nil)
            #expect(
                try await accounts.authenticate(username: issued.username, password: issued.password, address: nil).has(
                    .operator))
            #expect(try await Bootstrap.ensureOperator(accounts) == nil)
        }
    }
}
