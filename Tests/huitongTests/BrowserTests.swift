import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongStore
import NIOCore
import NIOFoundationCompat
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The portal and the console in a real headless Chromium, against a `huitong serve` process holding the demo city:
/// what a visitor, a provider, the operator and a consumer see and do, click by click.
///
/// With HUITONG_SCREENSHOTS=dir set, the tests also save the README's screenshots (portal home, a dataset page, the
/// operator's dashboard) into that directory.
@Suite(
    "browser: portal and console in headless Chromium", .serialized, .timeLimit(.minutes(5)),
    .enabled(
        if: WebDriver.isInstalled,
        "chromium and chromedriver are not installed (apt-get install chromium chromium-driver); browser tests skipped"
    ))
struct BrowserTests {
    /// The demo's open list of schools: 300 rows in its pool.
    static let schools = "中小学校及幼儿园名录"

    @Test("a visitor searches the portal, opens a dataset, and its CSV download holds the rows the preview shows")
    func publicDataset() async throws {
        try await Self.withNode("public") { node, browser in
            try await browser.step("home") {
                try await browser.open(node.baseURL + "/portal")
                try await Self.screenshot(browser, "portal-home")
                try await browser.type("中小学", into: "#portal-q")
                try await browser.click("form.search button[type=submit]")
                _ = try await browser.waitForURL("the search results") { $0.contains("/datasets?") }
            }
            let datasetURL = try await browser.step("search") {
                var found: WebDriver.Element?
                for link in try await browser.elements("li.dataset h3 a")
                where try await browser.text(of: link) == Self.schools {
                    found = link
                }
                let link = try #require(found, "the search for 中小学 lists \(Self.schools)")
                try await browser.click(link)
                return try await browser.waitForURL("the dataset page") {
                    $0.range(of: #"/datasets/\d+$"#, options: .regularExpression) != nil
                }
            }
            let (preview, csvHref, note) = try await browser.step("dataset") {
                #expect(try await browser.text("h1") == Self.schools)
                try await Self.screenshot(browser, "dataset")
                let href = try #require(try await browser.attribute("href", of: "ul.downloads a[href$='.csv']"))
                // The preview is a tab of its own.
                try await browser.click("nav.tabs a[href*='tab=preview']")
                _ = try await browser.waitForURL("the preview tab") { $0.contains("tab=preview") }
                var rows: [[String]] = []
                for row in try await browser.elements("table.preview tbody tr") {
                    let text = try await browser.text(of: row)
                    rows.append(text.components(separatedBy: " "))
                }
                let note = try await browser.text("#preview-note")
                return (rows, href, note)
            }
            #expect(preview.count == 50, "the preview shows the first 50 rows")
            #expect(note.contains("300"), "the preview says how many rows there are: \(note)")
            #expect(
                csvHref.hasPrefix(datasetURL.replacingOccurrences(of: node.baseURL, with: ""))
                    || csvHref.hasPrefix(datasetURL))

            let url = csvHref.hasPrefix("http") ? csvHref : node.baseURL + csvHref
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/csv") == true)
            var body = String(buffer: try await response.body.collect(upTo: 16 * 1024 * 1024))
            if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
            let csv = Self.parseCSV(body)
            #expect(csv.count == 301, "a header and the pool's 300 rows")
            let chinese = { (text: String) in text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } }
            #expect(csv.first?.allSatisfy(chinese) == true, "the header names the items in Chinese: \(csv.first ?? [])")
            let data = Array(csv.dropFirst())
            // The preview's cells are separated by spaces in the row's text; none of the schools' values has one.
            #expect(preview.count <= data.count)
            for (index, row) in preview.enumerated() where index < data.count {
                #expect(row == data[index].filter { !$0.isEmpty }, "preview row \(index + 1) is the download's")
            }
            #expect(Set(data.map { $0[0] }).count == 300, "each school once")
        }
    }

    @Test("the language switch turns the portal into English and keeps it for the next page")
    func englishSwitch() async throws {
        try await Self.withNode("language") { node, browser in
            try await browser.step("chinese") {
                try await browser.open(node.baseURL + "/portal")
                #expect(try await browser.attribute("lang", of: "html") == "zh-CN")
                #expect(try await browser.text("h1") == "公共数据开放门户")
                try await browser.click("a[hreflang=en]")
            }
            try await browser.step("english") {
                _ = try await browser.waitForURL("the English portal") { $0.contains("lang=en") }
                #expect(try await browser.attribute("lang", of: "html") == "en")
                #expect(try await browser.text("h1") == "Open Data Portal")
                #expect(try await browser.text("form.search button[type=submit]") == "Search")
                try await browser.open(node.baseURL + "/datasets")
                #expect(try await browser.attribute("lang", of: "html") == "en", "the choice is kept")
                #expect(try await browser.text("a[hreflang=zh]").isEmpty == false)
            }
        }
    }

    @Test(
        "a provider creates an entry, the operator publishes it, a consumer applies, the provider approves, and the consumer's new credential reads its rows through the gateway"
    )
    func sharingWorkflow() async throws {
        try await Self.withNode("workflow") { node, browser in
            let name = "殡葬服务机构信息"
            // 民政局 drafts the entry in the console form and submits it.
            let entryID = try await browser.step("create") {
                try await browser.signIn(node.baseURL, "mzj.officer", node.passwords["mzj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/entries/new")
                try await browser.type(name, into: "#field-name")
                try await browser.type("全市殡葬服务机构的名称与地址", into: "#field-abstract")
                try await browser.click("#field-classificationCode option[value='203003']")
                try await browser.click("#field-formatCategory option[value='database']")
                try await browser.type("库表", into: "#field-formatType")
                try await browser.click("#field-shareType option[value='conditional']")
                try await browser.click("#field-openness option[value='closed']")
                try await browser.type("仅限民政业务核验", into: "#field-shareCondition")
                try await browser.click("#field-updateCycle option[value='monthly']")
                try await browser.type("机构名称", into: "input[name=item_name_0]")
                try await browser.type("jgmc", into: "input[name=item_column_0]")
                try await browser.click("input[name=item_key_0]")
                try await browser.type("地址", into: "input[name=item_name_1]")
                try await browser.type("dz", into: "input[name=item_column_1]")
                try await browser.click("form[action='/console/entries'] button[type=submit]")
                let url = try await browser.waitForURL("the new entry's page") { $0.contains("done=created") }
                let id = try #require(
                    url.components(separatedBy: "/console/entries/").last?.components(separatedBy: "?").first
                        .flatMap { Int($0) })
                try await browser.click("form[action='/console/entries/\(id)/submit'] button")
                _ = try await browser.waitForURL("the entry list") { $0.contains("done=submitted") }
                return id
            }

            // The operator publishes it from the review queue.
            try await browser.step("publish") {
                try await browser.signIn(node.baseURL, "admin", node.passwords["admin"] ?? "")
                try await browser.open(node.baseURL + "/console/review")
                #expect(try await browser.text("#entry-\(entryID) h2") == name)
                try await browser.click("#entry-\(entryID) a.review-open")
                // What publishing changes, then the confirmation.
                #expect(try await browser.text("table.review-changes").contains("殡葬服务机构信息"))
                try await browser.click("form[action$='/publish'] button")
                _ = try await browser.waitForURL("the queue after publishing") { $0.contains("done=published") }
                #expect(try await browser.elements("#entry-\(entryID)").isEmpty, "the entry has left the queue")
                try await browser.open(node.baseURL + "/console/dashboard")
                try await Self.screenshot(browser, "operator-dashboard")
            }

            // 民政局's exchange loads the entry's rows, as its data feed would, through the upload API.
            let entry = try await node.call(
                .GET, "/api/v1/catalog/entries/\(entryID)", as: "mzj.officer", expect: 200, returning: CatalogEntry.self
            )
            #expect(entry.status == .published)
            let code = entry.code.text
            let rows = [("六安市殡仪馆", "六安市金安区三十铺镇殡仪路1号"), ("霍山县殡仪馆", "霍山县衡山镇南岳路8号")]
            let csv = "jgmc,dz\n" + rows.map { "\($0.0),\($0.1)" }.joined(separator: "\n") + "\n"
            let upload = try await node.request(
                .POST, "/api/v1/catalog/entries/\(entryID)/uploads?fileName=funeral.csv", body: Data(csv.utf8),
                session: try await node.login("mzj.officer"))
            #expect(upload.status == 202, "\(upload.body)")
            let jobID = try JSONDecoder.iso8601.decode(IngestAPI.JobBody.self, from: Data(upload.body.utf8)).job.id
            let deadline = Date().addingTimeInterval(120)
            var status = ""
            while Date() < deadline {
                let current = try await node.call(
                    .GET, "/api/v1/ingest/jobs/\(jobID)", as: "mzj.officer", expect: 200,
                    returning: IngestAPI.JobBody.self)
                status = current.job.status.rawValue
                if status != "running" && status != "queued" { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(status == "succeeded")

            // 人社局 applies for it in the console.
            try await browser.step("apply") {
                try await browser.signIn(node.baseURL, "rsj.officer", node.passwords["rsj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/apply/\(entryID)")
                try await browser.click("input[name=items][value=jgmc]")
                try await browser.click("input[name=items][value=dz]")
                try await browser.click("#field-purpose option[value='administrativeBasis']")
                try await browser.type("核对丧葬补助金申领人所报殡葬机构", into: "#field-purposeText")
                try await browser.type("《社会保险法》第十七条", into: "#field-legalBasis")
                try await browser.type("丧葬补助金审核", into: "#field-scenario")
                try await browser.click("input[name=channel][value=api]")
                try await browser.click("input[name=systemIDs]")
                try await browser.type("50", into: "#field-expectedDailyCalls")
                try await browser.click("button[name=action][value=submit]")
                _ = try await browser.waitForURL("the consumer's applications") { $0.contains("done=applied") }
            }

            // 民政局 approves it.
            try await browser.step("approve") {
                try await browser.signIn(node.baseURL, "mzj.officer", node.passwords["mzj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/to-review")
                var itemID: String?
                for item in try await browser.elements("li.queue-item")
                where try await browser.text(of: item).contains(code) {
                    itemID = try await browser.attribute("id", of: item)
                }
                let id = try #require(itemID, "the provider's queue holds the application for \(code)")
                try await browser.click("#\(id) select[name=kind] option[value=approve]")
                try await browser.type("同意", into: "#\(id) textarea[name=comment]")
                try await browser.click("#\(id) form.decision button[type=submit]")
                _ = try await browser.waitForURL("the queue after deciding") { $0.contains("done=decided") }
            }

            // 人社局 makes a credential for its system and calls the gateway with it.
            let secret = try await browser.step("credential") {
                try await browser.signIn(node.baseURL, "rsj.officer", node.passwords["rsj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/systems")
                try await browser.type("殡葬核验", into: "form[action$='/credentials'] input[name=name]")
                try await browser.click("form[action$='/credentials'] button[type=submit]")
                return try await browser.text("code.secret-value")
            }
            #expect(secret.hasPrefix("hts"))
            let key = try #require(rows[1].0.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let answer = try await node.request(
                .GET, "/gateway/v1/\(code)/records?jgmc=\(key)", body: nil, bearer: secret)
            #expect(answer.status == 200, "\(answer.body)")
            /// A lookup's answer as the gateway writes it (`GatewayAPI.json(_:records:columns:)`).
            struct Records: Decodable {
                var count: Int
                var records: [[String: String?]]
            }
            let json = try JSONDecoder.iso8601.decode(Records.self, from: Data(answer.body.utf8))
            #expect(json.count == 1, "\(answer.body)")
            let record = json.records.first ?? [:]
            #expect(record["jgmc"] == rows[1].0)
            #expect(record["dz"] == rows[1].1)
            let refused = try await node.request(
                .GET, "/gateway/v1/\(code)/records?jgmc=\(key)", body: nil, bearer: secret + "x")
            #expect(refused.status == 401, "a wrong secret reads nothing")
        }
    }

    @Test(
        "a consumer with no application system goes from search to a working gateway call in the console: 新建应用, a credential, 申请 with select-all, the provider's approval, the grant's 接口文档 and 在线调试; at 390 px the applications table keeps words whole"
    )
    func consumerJourney() async throws {
        try await Self.withNode("consumer-journey") { node, browser in
            let name = "养老服务机构名录"
            // 民政局 publishes an entry with two rows, through the API as its systems would.
            let created = try await node.call(
                .POST, "/api/v1/catalog/entries",
                input: CatalogAPI.EntryInput(
                    classificationCode: "203003", name: name, abstract: "全市养老服务机构的名称、地址与床位数",
                    formats: [ResourceFormat(category: .database, type: "库表")],
                    items: [
                        CatalogAPI.ItemInput(
                            name: "机构名称", columnName: "jgmc", dataType: .character, length: 100, isKey: true),
                        CatalogAPI.ItemInput(name: "机构地址", columnName: "jgdz", dataType: .character, length: 200),
                        CatalogAPI.ItemInput(name: "床位数", columnName: "cws", dataType: .integer, length: 6),
                    ],
                    shareType: .conditional, shareCondition: "用于养老服务监管与补贴核对", openness: .closed,
                    updateCycle: .monthly, keywords: [], note: ""),
                as: "mzj.officer", expect: 201, returning: CatalogEntry.self)
            _ = try await node.call(
                .POST, "/api/v1/catalog/entries/\(created.id)/submit", as: "mzj.officer", expect: 200,
                returning: CatalogEntry.self)
            let entry = try await node.call(
                .POST, "/api/v1/catalog/entries/\(created.id)/publish", expect: 200, returning: CatalogEntry.self)
            let code = entry.code.text
            let csv = "jgmc,jgdz,cws\n金安区颐养中心,六安市金安区梅山南路18号,320\n裕安区福寿园,六安市裕安区解放南路6号,150\n"
            let upload = try await node.request(
                .POST, "/api/v1/catalog/entries/\(entry.id)/uploads?fileName=yanglao.csv", body: Data(csv.utf8),
                session: try await node.login("mzj.officer"))
            #expect(upload.status == 202, "\(upload.body)")
            let jobID = try JSONDecoder.iso8601.decode(IngestAPI.JobBody.self, from: Data(upload.body.utf8)).job.id
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let job = try await node.call(
                    .GET, "/api/v1/ingest/jobs/\(jobID)", as: "mzj.officer", expect: 200,
                    returning: IngestAPI.JobBody.self)
                if job.job.status.rawValue != "running" && job.job.status.rawValue != "queued" {
                    #expect(job.job.status.rawValue == "succeeded")
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }

            // 公安局's consumer officer finds it, and learns on the form that the department has no system yet.
            let applyURL = try await browser.step("search") {
                try await browser.signIn(node.baseURL, "gaj.consumer", node.passwords["gaj.consumer"] ?? "")
                try await browser.open(node.baseURL + "/console/catalog")
                try await browser.type("养老服务机构", into: "#q")
                try await browser.click("form.search button[type=submit]")
                _ = try await browser.waitForURL("the results") { $0.contains("q=") }
                try await browser.click("a[href='/console/apply/\(entry.id)']")
                let url = try await browser.waitForURL("the application form") { $0.hasSuffix("/apply/\(entry.id)") }
                #expect(try await browser.text("#no-systems").contains("还没有应用系统"))
                return url
            }

            // 我的应用 → 新建应用 → a credential, whose secret is shown once with a copy button.
            try await browser.step("system") {
                try await browser.click("#no-systems a")
                _ = try await browser.waitForURL("我的应用") { $0.contains("/console/systems") }
                try await browser.click("#new-system-form button[type=submit]")
                #expect(try await browser.text(".error-summary").contains("系统名称"), "an empty name is refused")
                try await browser.type("养老补贴核对系统", into: "#field-name")
                try await browser.type("核对养老机构补贴申领信息", into: "#field-description")
                try await browser.click("#new-system-form button[type=submit]")
                _ = try await browser.waitForURL("the new system") { $0.contains("done=system_created") }
                try await browser.type("调试凭证", into: "form[action$='/credentials'] input[name=name]")
                try await browser.click("form[action$='/credentials'] button[type=submit]")
                #expect(try await browser.text("#issued-secret").hasPrefix("hts"))
                #expect(
                    try await browser.attribute("hidden", of: "button[data-copy='#issued-secret']") == nil,
                    "the copy button is shown where the script runs")
                try await Self.screenshot(browser, "consumer-systems")
            }

            // 申请: select all items, tick the new system, submit.
            try await browser.step("apply") {
                try await browser.open(applyURL)
                try await browser.click("#field-items button[data-select=all]")
                for column in ["jgmc", "jgdz", "cws"] {
                    #expect(try await browser.isSelected("input[name=items][value=\(column)]"), "\(column) ticked")
                }
                try await browser.click("#field-items button[data-select=none]")
                #expect(try await browser.isSelected("input[name=items][value=jgmc]") == false)
                try await browser.click("#field-items button[data-select=all]")
                try await Self.screenshot(browser, "consumer-apply")
                try await browser.type("核对养老机构运营补贴申领信息", into: "#field-purposeText")
                try await browser.type("《养老机构管理办法》第五条", into: "#field-legalBasis")
                try await browser.type("养老机构补贴审核", into: "#field-scenario")
                try await browser.click("input[name=systemIDs]")
                try await browser.type("20", into: "#field-expectedDailyCalls")
                try await browser.click("button[name=action][value=submit]")
                _ = try await browser.waitForURL("我的申请") { $0.contains("done=applied") }
                #expect(try await browser.text("#applications tbody").contains(name), "listed by name")
            }

            // 民政局 approves it.
            try await browser.step("approve") {
                try await browser.signIn(node.baseURL, "mzj.officer", node.passwords["mzj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/to-review")
                var itemID: String?
                for item in try await browser.elements("li.queue-item")
                where try await browser.text(of: item).contains(name) {
                    itemID = try await browser.attribute("id", of: item)
                }
                let id = try #require(itemID, "the provider's queue holds the application for \(name)")
                try await browser.click("#\(id) select[name=kind] option[value=approve]")
                try await browser.type("同意", into: "#\(id) textarea[name=comment]")
                try await browser.click("#\(id) form.decision button[type=submit]")
                _ = try await browser.waitForURL("the queue after deciding") { $0.contains("done=decided") }
            }

            // 授权 → 接口文档 → 在线调试 with the credential made above.
            try await browser.step("docs") {
                try await browser.signIn(node.baseURL, "gaj.consumer", node.passwords["gaj.consumer"] ?? "")
                try await browser.open(node.baseURL + "/console/applications")
                try await browser.click("a.grant-docs")
                _ = try await browser.waitForURL("the grant's documentation") { $0.contains("/console/grants/") }
                #expect(try await browser.text("#gateway-address") == "\(node.baseURL)/gateway/v1/\(code)/records")
                let curl = try await browser.text("#example-curl")
                #expect(curl.contains("/gateway/v1/\(code)/records?jgmc=") && curl.contains("Authorization: Bearer"))
                try await browser.type("裕安区福寿园", into: "#field-key_jgmc")
                try await browser.click("#try-form button[type=submit]")
                _ = try await browser.element("#try-result")
                #expect(try await browser.attribute("data-status", of: "#try-result") == "200")
                let body = try await browser.text("#try-body")
                #expect(body.contains("六安市裕安区解放南路6号") && body.contains("\"count\": 1"), "\(body)")
                try await Self.screenshot(browser, "consumer-grant")
            }
            // The try-it is a gateway call of the new system, on the audit log like any other.
            let calls = try await node.withStore { store in
                try await store.audit.search(AuditEntryFilter(limit: 20))
            }
            let lookups = calls.compactMap { record -> AuditEvent? in
                if case .entry(let entry) = record, entry.event.action == .gatewayLookup,
                    entry.event.resourceCode == code
                {
                    return entry.event
                }
                return nil
            }
            #expect(lookups.count == 1 && lookups.first?.rowsReturned == 1, "\(lookups)")

            // At 390 px the tables become cards: no cell narrower than three characters, no sideways scrolling.
            try await browser.step("narrow") {
                try await browser.emulateViewport(width: 390, height: 844)
                try await browser.open(node.baseURL + "/console/applications")
                let measured =
                    try await browser.execute(
                        """
                        var size = parseFloat(getComputedStyle(document.body).fontSize);
                        var cells = Array.prototype.slice.call(document.querySelectorAll("#applications td, #grants-table td"));
                        var narrow = cells.filter(function (cell) {
                          return cell.textContent.trim() !== "" && cell.getBoundingClientRect().width < 3 * size;
                        });
                        return {width: window.innerWidth, scroll: document.documentElement.scrollWidth,
                                cells: cells.length, narrow: narrow.length};
                        """) as? [String: Any] ?? [:]
                try await Self.screenshot(browser, "applications-390")
                #expect(measured["width"] as? Int == 390, "\(measured)")
                #expect((measured["cells"] as? Int ?? 0) > 10, "\(measured)")
                #expect(measured["narrow"] as? Int == 0, "\(measured)")
                #expect((measured["scroll"] as? Int ?? 9999) <= 390, "\(measured)")
                try await browser.emulateViewport(width: 1280, height: 1000)
            }
        }
    }

    @Test(
        "a developer registers, applies for conditionally open data, the provider approves in the console, and the developer's own key reads open rows"
    )
    func developerFlow() async throws {
        try await Self.withNode("developer") { node, browser in
            let email = "kaifa@example.com"
            let password = "river-kite-2026"
            try await browser.step("register") {
                try await Self.register(
                    email, password: password, organisation: "六安数据科技有限公司", on: node, with: browser)
            }
            let statusURL = try await browser.step("apply") {
                try await browser.open(node.baseURL + "/datasets?openness=conditional")
                var found: WebDriver.Element?
                // Only datasets with data are listed: 国土空间规划成果信息 has its file mounted.
                for link in try await browser.elements("li.dataset h3 a")
                where try await browser.text(of: link) == "国土空间规划成果信息" {
                    found = link
                }
                try await browser.click(try #require(found, "the conditionally open datasets list 国土空间规划成果信息"))
                _ = try await browser.waitForURL("the dataset page") {
                    $0.range(of: #"/datasets/\d+$"#, options: .regularExpression) != nil
                }
                try await browser.click("a.button[href$='/apply']")
                _ = try await browser.waitForURL("the application form") { $0.hasSuffix("/apply") }
                try await browser.type("研究个体经济的行业分布，发布年度分析报告", into: "#field-purpose")
                try await browser.type("高校课题研究", into: "#field-scenario")
                try await browser.type("专机存储，访问留痕，不对外提供原始数据", into: "#field-securityMeasures")
                try await browser.click("input[name=acceptedAgreement]")
                try await browser.click("form[action$='/apply'] button[type=submit]")
                return try await browser.waitForURL("the application's status page") { $0.contains("done=applied") }
            }
            #expect(try await browser.text("p span.tag") == "待审核")

            try await browser.step("approve") {
                try await browser.signIn(node.baseURL, "zrzyj.officer", node.passwords["zrzyj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/open-requests")
                try await browser.click("input[name=decision][value=approve]")
                try await browser.click("form[action$='/decision'] button[type=submit]")
                _ = try await browser.waitForURL("the queue after deciding") { $0.contains("done=decided") }
            }

            let key = try await browser.step("key") {
                try await browser.deleteCookies()
                try await browser.open(node.baseURL + "/portal/login")
                try await browser.type(email, into: "#email")
                try await browser.type(password, into: "#password")
                try await browser.click("form[action='/portal/login'] button[type=submit]")
                _ = try await browser.waitForURL("the developer centre") { $0.contains("/portal/account") }
                try await browser.open(statusURL)
                #expect(try await browser.text("p span.tag") == "已同意")
                try await browser.open(node.baseURL + "/portal/account")
                try await browser.type("学校地图", into: "#field-label")
                try await browser.click("form[action='/portal/account/keys'] button[type=submit]")
                let key = try await browser.text("#new-key")
                try await Self.screenshot(browser, "developer-centre")
                return key
            }
            #expect(key.hasPrefix("hdk_"))

            let schools = try await browser.step("schools") {
                try await browser.open(
                    node.baseURL + "/datasets?q="
                        + (Self.schools.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                let href = try #require(try await browser.attribute("href", of: "li.dataset h3 a"))
                return href.replacingOccurrences(of: node.baseURL, with: "")
            }
            var request = HTTPClientRequest(url: node.baseURL + "/api/v1/open" + schools + "/rows?limit=5")
            request.headers.add(name: "X-API-Key", value: key)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            let body = try await response.body.collect(upTo: 1024 * 1024)
            let page = try JSONDecoder.iso8601.decode(OpenDataAPI.Page.self, from: Data(buffer: body))
            #expect(page.rows.count == 5, "\(page)")
            #expect(page.total == 300)
        }
    }

    @Test(
        "a holder opens 我的证照, shows a licence as a QR code, the verification page shows it valid, then revoked after the issuer revokes it"
    )
    func licenceHolder() async throws {
        try await Self.withNode("licences") { node, browser in
            // 民政局 defines and issues a type of its own and issues one to 张小明.
            let mzj = try #require(
                try await node.withStore { try await $0.departments.list() }.first { $0.code == "MZJ" })
            let type = LicenceType(
                typeCode: "\(try #require(mzj.creditCode))001", name: "婚姻登记记录证明（示例）", holderKind: .person,
                fields: [
                    LicenceField(key: "xm", label: "姓名", type: .text, isRequired: true, isMaskedByDefault: true),
                    LicenceField(key: "djrq", label: "登记日期", type: .date, isRequired: true),
                ],
                validity: .permanent, issuerCodes: [try #require(mzj.creditCode)])
            _ = try await node.call(
                .POST, "/api/v1/licence-types", input: type, as: "mzj.officer", expect: 201,
                returning: LicencesAPI.TypeBody.self)
            let issued = try await node.call(
                .POST, "/api/v1/licences",
                input: LicenceIssueRequest(
                    typeCode: type.typeCode, holderCode: "11010519491231002X", holderName: "张小明",
                    face: ["xm": "张小明", "djrq": "2019-10-01"]),
                as: "mzj.officer", expect: 201, returning: LicencesAPI.LicenceBody.self)
            let identifier = issued.licence.identifier.text

            let email = "zhang.xiaoming@example.com"
            try await browser.step("register") {
                try await Self.register(email, password: "river-kite-2026", on: node, with: browser)
            }
            // The operator verifies the account at the counter (实名核验).
            _ = try await node.call(
                .POST, "/api/v1/licence-holders",
                input: LicencesAPI.HolderInput(email: email, kind: .person, documentCode: "11010519491231002X"),
                expect: 200, returning: LicencesAPI.HolderBody.self)

            let verifyURL = try await browser.step("show") {
                try await browser.click("#my-licences")
                _ = try await browser.waitForURL("我的证照") { $0.hasSuffix("/portal/licences") }
                #expect(try await browser.text("#wallet-licences tbody").contains("婚姻登记记录证明（示例）"))
                try await Self.screenshot(browser, "licence-wallet")
                try await browser.click("tr[data-identifier='\(identifier)'] a.show-licence")
                _ = try await browser.waitForURL("the QR code") { $0.contains("/portal/licences/show") }
                #expect(try await browser.elements("#show-qr svg path").count == 1)
                return try #require(try await browser.attribute("href", of: "#show-link"))
            }
            try await browser.step("verify") {
                try await browser.deleteCookies()
                try await browser.open(verifyURL)
                #expect(try await browser.attribute("data-valid", of: "#verdict") == "true")
                #expect(try await browser.text("#licence-status") == "有效")
            }
            _ = try await node.call(
                .POST, "/api/v1/licences/\(identifier)/end",
                input: LicencesAPI.EndInput(kind: .revoked, reason: "登记记录有误"), as: "mzj.officer", expect: 200,
                returning: LicencesAPI.LicenceBody.self)
            try await browser.step("revoked") {
                try await browser.open(verifyURL)
                #expect(try await browser.attribute("data-valid", of: "#verdict") == "false")
                #expect(try await browser.text("#licence-status") == "已吊销")
                #expect(try await browser.text("li[data-check='status']").contains("登记记录有误"))
            }
        }
    }

    @Test(
        "a provider registers a drop-folder source in the console: a bad cron expression is summarised and linked to its field, the test shows the files waiting, and 立即归集 collects them"
    )
    func collectionSource() async throws {
        try await Self.withNode("collection") { node, browser in
            // The node's collection folder (<data>/collection): a drop folder with one delivered file.
            let folder = node.directory.appendingPathComponent("collection/mzj", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let delivered = folder.appendingPathComponent("jg-20260310.csv")
            try Data("jgmc,dz\n六安市殡仪馆,六安市金安区三十铺镇殡仪路1号\n霍山县殡仪馆,霍山县衡山镇南岳路8号\n".utf8).write(to: delivered)
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: delivered.path)
            let entry = try await node.call(
                .POST, "/api/v1/catalog/entries",
                input: CatalogAPI.EntryInput(
                    classificationCode: "203003", name: "殡葬服务机构信息", abstract: "全市殡葬服务机构的名称与地址",
                    formats: [ResourceFormat(category: .database, type: "库表")],
                    items: [
                        CatalogAPI.ItemInput(
                            name: "机构名称", columnName: "jgmc", dataType: .character, length: 100, isKey: true),
                        CatalogAPI.ItemInput(name: "地址", columnName: "dz", dataType: .character, length: 200),
                    ],
                    shareType: .unconditional, openness: .closed,
                    updateCycle: .monthly, keywords: [], note: ""),
                as: "mzj.officer", expect: 201, returning: CatalogEntry.self)

            try await browser.step("form") {
                try await browser.signIn(node.baseURL, "mzj.officer", node.passwords["mzj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console")
                try await browser.click("nav.console-nav a[href='/console/collection']")
                _ = try await browser.waitForURL("the sources") { $0.hasSuffix("/console/collection") }
                try await browser.click("a[href='/console/collection/new']")
                _ = try await browser.waitForURL("the form") { $0.contains("/console/collection/new") }
                try await browser.click("#field-entryID option[value='\(entry.id)']")
                try await browser.click("#field-kind option[value='dropDirectory']")
                try await browser.type("殡葬机构投放目录", into: "#field-name")
                try await browser.type(folder.path, into: "#field-location")
                try await browser.click("#field-schedule option[value='cron']")
                try await browser.type("0 25 * * *", into: "#field-cron")
                try await browser.click("button[name=intent][value=save]")
                let summary = try await browser.text(".error-summary")
                #expect(summary.contains("第 2 段（小时）取值 25 超出 0–23"), "\(summary)")
                try await browser.click(".error-summary a[href='#field-cron']")
                _ = try await browser.waitForURL("the cron field") { $0.hasSuffix("#field-cron") }
                #expect(try await browser.attribute("aria-invalid", of: "#field-cron") == "true")
            }

            let sourceURL = try await browser.step("test and save") {
                try await browser.type("30 2 * * 1-5", into: "#field-cron")
                try await browser.click("button[name=intent][value=test]")
                #expect(try await browser.text("#test-result").contains("jg-20260310.csv"))
                try await browser.click("button[name=intent][value=save]")
                return try await browser.waitForURL("the source's page") { $0.contains("done=created") }
            }

            try await browser.step("collect now") {
                try await browser.click("form[action$='/run'] button")
                _ = try await browser.waitForURL("the run started") { $0.contains("done=started") }
                let deadline = Date().addingTimeInterval(60)
                var history = ""
                while Date() < deadline {
                    try await browser.open(sourceURL.components(separatedBy: "?")[0])
                    history = try await browser.text("table.collection-runs tbody")
                    if history.contains("成功") || history.contains("失败") { break }
                    try await Task.sleep(for: .milliseconds(500))
                }
                #expect(history.contains("成功") && history.contains("2"), "\(history)")
                #expect(
                    FileManager.default.fileExists(atPath: folder.appendingPathComponent("done/jg-20260310.csv").path))
            }
        }
    }

    @Test(
        "the operator adds a user and resets their password after confirming; the user signs in with it and changes it themselves"
    )
    func operatorAdministersUsers() async throws {
        try await Self.withNode("accounts") { node, browser in
            let first = try await browser.step("add") {
                try await browser.signIn(node.baseURL, "admin", node.passwords["admin"] ?? "")
                try await browser.open(node.baseURL + "/console/departments")
                try await browser.click("#user-add summary")
                try await browser.type("wang.fang", into: "#user-username")
                try await browser.type("王芳", into: "#user-displayName")
                try await browser.click("#user-departmentID option:nth-child(2)")
                try await browser.click("input[name=roles][value=provider]")
                try await browser.click("form[action='/console/users'] button[type=submit]")
                let password = try await browser.text("#issued-password")
                #expect(password.count >= 10)
                #expect(try await browser.text("h1") == "王芳")
                return password
            }
            let reset = try await browser.step("reset") {
                try await browser.click("form[action$='/password'] button[type=submit]")
                // A consequential step asks first.
                #expect(try await browser.text("form.confirm p").contains("王芳（wang.fang）"))
                try await browser.click("#confirm-button")
                let password = try await browser.text("#issued-password")
                #expect(password != first && password.count >= 10)
                return password
            }
            try await browser.step("sign in") {
                try await browser.deleteCookies()
                try await browser.open(node.baseURL + "/login")
                try await browser.type("wang.fang", into: "#username")
                try await browser.type(first, into: "#password")
                try await browser.click("form button[type=submit]")
                #expect(!(try await browser.currentURL).contains("/console"), "the first password no longer works")
                try await browser.signIn(node.baseURL, "wang.fang", reset)
                try await browser.open(node.baseURL + "/console/password")
                try await browser.type(reset, into: "#field-currentPassword")
                try await browser.type("荷花塘边的新密码2026", into: "#field-newPassword")
                try await browser.type("荷花塘边的新密码2026", into: "#field-confirmPassword")
                try await browser.click("form[action='/console/password'] button[type=submit]")
                _ = try await browser.waitForURL("the changed password") { $0.contains("done=password") }
                try await browser.signIn(node.baseURL, "wang.fang", "荷花塘边的新密码2026")
            }
            // Every step is on the audit log.
            let admin = try await node.login("admin")
            for action in ["account.user_created", "account.password_reset", "account.password_changed"] {
                let log = try await node.request(
                    .GET, "/api/v1/audit/entries?action=\(action)", body: nil, session: admin)
                #expect(log.status == 200 && log.body.contains("wang.fang"), "\(action) audited: \(log.body)")
            }
        }
    }

    @Test(
        "a provider uploads a file choosing to publish the valid rows: the rest are reported grouped by the file's own headings"
    )
    func uploadWithThreshold() async throws {
        try await Self.withNode("upload") { node, browser in
            let entry = try await node.call(
                .POST, "/api/v1/catalog/entries",
                input: CatalogAPI.EntryInput(
                    classificationCode: "203003", name: "殡葬服务机构信息", abstract: "全市殡葬服务机构的名称与地址",
                    formats: [ResourceFormat(category: .database, type: "库表")],
                    items: [
                        CatalogAPI.ItemInput(
                            name: "机构名称", columnName: "jgmc", dataType: .character, length: 100, isKey: true),
                        CatalogAPI.ItemInput(name: "成立日期", columnName: "clrq", dataType: .date),
                    ],
                    shareType: .unconditional, openness: .closed,
                    updateCycle: .monthly, keywords: [], note: ""),
                as: "mzj.officer", expect: 201, returning: CatalogEntry.self)
            let file = node.directory.appendingPathComponent("机构.csv")
            let rows = (1...8).map { "机构\($0),2020-01-0\($0)" } + ["机构1,2021-01-01", "机构9,2024-13-01"]
            try Data(("机构名称,成立日期\n" + rows.joined(separator: "\n") + "\n").utf8).write(to: file)
            try await browser.step("upload") {
                try await browser.signIn(node.baseURL, "mzj.officer", node.passwords["mzj.officer"] ?? "")
                try await browser.open(node.baseURL + "/console/entries/\(entry.id)")
                #expect(try await browser.elements("a[href$='/template?format=xlsx']").count == 1)
                try await browser.attach(file, to: "#field-file")
                try await browser.click("input[name=publishValid][value=true]")
                try await browser.click("form[action$='/uploads'] button[type=submit]")
                _ = try await browser.waitForURL("the job") { $0.contains("/console/jobs/") }
            }
            try await browser.step("report") {
                let deadline = Date().addingTimeInterval(60)
                var status = ""
                while Date() < deadline {
                    status = try await browser.text("#job dl")
                    if status.contains("已完成") || status.contains("失败") { break }
                    try await Task.sleep(for: .milliseconds(300))
                }
                #expect(status.contains("已完成"), "\(status)")
                #expect(try await browser.text("[data-field=rowsLoaded]") == "8")
                let groups = try await browser.text("table.job-issues")
                #expect(groups.contains("机构名称") && groups.contains("主键重复"), "\(groups)")
                #expect(groups.contains("成立日期") && groups.contains("日期无效") && groups.contains("2024-13-01"))
                try await Self.screenshot(browser, "upload-report")
            }
        }
    }

    // MARK: Helpers

    @Test(
        "the bureau's office builds an 一件事 from three matters in the console, sees the merged form and the reduction, saves it, and the portal shows it"
    )
    func jointServiceBuilder() async throws {
        try await Self.withNode("joint-service") { node, browser in
            // Three departments file their matters through the API, as their guide sheets would.
            let person = "101001/0001"
            func name(_ role: String = "申请人") -> [FormElement] {
                [
                    FormElement(
                        key: "xm", label: "姓名", maxLength: 50, isRequired: true, role: role,
                        catalogItem: ItemReference(resourceCode: person, column: "xm")),
                    FormElement(
                        key: "sfzhm", label: "公民身份号码", maxLength: 18, isRequired: true, role: role,
                        catalogItem: ItemReference(resourceCode: person, column: "sfzhm")),
                ]
            }
            let identityCard = MatterMaterial(
                name: "申请人居民身份证", catalogItems: [ItemReference(resourceCode: person, column: "sfzhm")])
            let matters: [(officer: String, matter: MatterDraft)] = [
                (
                    "gjj.officer",
                    MatterDraft(
                        implementationCode: "1234150000301012423444100000009", name: "住房公积金提取（试点）", type: .payment,
                        legalBasis: "《住房公积金管理条例》第二十四条", materials: [identityCard],
                        elements: name() + [
                            FormElement(key: "lxdh", label: "联系电话", maxLength: 20, isRequired: true),
                            FormElement(
                                key: "hyzk", label: "婚姻状况", isRequired: true,
                                dictionary: FormDictionary(code: "GB/T 2261.2", values: ["10", "20", "30", "40"])),
                        ])
                ),
                (
                    "zrzyj.officer",
                    MatterDraft(
                        implementationCode: "1134150000301006073444200000009", name: "不动产登记资料查询（试点）",
                        legalBasis: "《不动产登记资料查询暂行办法》第四条", materials: [identityCard],
                        elements: name() + [FormElement(key: "zl", label: "房屋坐落", maxLength: 200, isRequired: true)])
                ),
                (
                    "mzj.officer",
                    MatterDraft(
                        implementationCode: "11341500003010044H3444300000009", name: "婚姻登记记录证明（试点）",
                        legalBasis: "《婚姻登记条例》",
                        materials: [identityCard, MatterMaterial(name: "居民户口簿")],
                        elements: name() + [
                            FormElement(
                                key: "hyzk", label: "婚姻状况", isRequired: true,
                                dictionary: FormDictionary(
                                    code: "GB/T 2261.2", values: ["10", "20", "21", "22", "23", "30", "40"]))
                        ])
                ),
            ]
            for (officer, matter) in matters {
                _ = try await node.call(
                    .POST, "/api/v1/matters", input: MattersAPI.MatterInput(matter: matter), as: officer, expect: 201,
                    returning: MattersAPI.SavedMatter.self)
            }
            let names = matters.map(\.matter.name)
            try await browser.step("build") {
                try await browser.signIn(node.baseURL, "sjj.services", node.passwords["sjj.services"] ?? "")
                try await browser.open(node.baseURL + "/console/joint-services")
                try await browser.click("#new-joint-service")
                _ = try await browser.waitForURL("the builder") { $0.hasSuffix("/console/joint-services/new") }
                try await browser.type("YJS-GJJ-2", into: "#field-code")
                try await browser.type("购房提取公积金（试点）", into: "#field-name")
                for label in try await browser.elements("#field-matterCodes label") {
                    let text = try await browser.text(of: label)
                    if names.contains(where: { text.hasPrefix($0) }),
                        let id = try await browser.attribute("for", of: label)
                    {
                        try await browser.click("#\(id)")
                    }
                }
                try await browser.click("#preview")
                _ = try await browser.waitForURL("the preview") { $0.hasSuffix("/console/joint-services") }
                _ = try await browser.element("#merged-form")
                // 10 elements become 5 (name and ID number asked thrice, marital status twice with the narrower
                // dictionary); 4 materials become 2 (the ID card asked thrice).
                #expect(try await browser.text("[data-figure=elements]") == "10 → 5")
                #expect(try await browser.text("[data-figure=materials]") == "4 → 2")
                let merged = try await browser.text("#merged-form tbody")
                #expect(
                    merged.contains("婚姻状况") && merged.contains("房屋坐落") && merged.contains("GB/T 2261.2 10/20/30/40"))
                try await Self.screenshot(browser, "joint-service-builder")
                try await browser.click("#save")
                _ = try await browser.waitForURL("the saved 一件事") {
                    $0.contains("/console/joint-services/YJS-GJJ-2?done=created")
                }
            }
            try await browser.step("portal") {
                try await browser.open(node.baseURL + "/portal/joint-services")
                try await browser.click("li[data-code='YJS-GJJ-2'] a")
                _ = try await browser.waitForURL("the 一件事 page") { $0.hasSuffix("/portal/joint-services/YJS-GJJ-2") }
                #expect(try await browser.text("h1") == "购房提取公积金（试点）")
                #expect(try await browser.text("#merged-materials").contains("申请人居民身份证"))
            }
        }
    }

    /// A demo node process and a browser, both stopped afterwards whatever happens.
    /// The demo's bus stops: 公交线路及站点信息 has coordinates (经度, 纬度) and a fare.
    static let busStops = "公交线路及站点信息"

    /// The dataset page's address of a demo entry, found through the portal's search as a visitor would.
    static func datasetURL(_ name: String, _ query: String, node: CascadeNode, browser: WebDriver) async throws
        -> String
    {
        try await browser.open(node.baseURL + "/datasets?q=" + PortalSearch.encode(query))
        for link in try await browser.elements("li.dataset h3 a") where try await browser.text(of: link) == name {
            try await browser.click(link)
            return try await browser.waitForURL("the page of \(name)") {
                $0.range(of: #"/datasets/\d+$"#, options: .regularExpression) != nil
            }
        }
        throw WebDriver.Failure(description: "the search for \(query) does not list \(name)")
    }

    @Test(
        "the dataset page offers its downloads in the first screen on a desktop and a phone; its tabs work; the bus stops are on a map"
    )
    func datasetPageTabs() async throws {
        try await Self.withNode("dataset-tabs") { node, browser in
            let url = try await browser.step("find") {
                try await Self.datasetURL(Self.busStops, "公交", node: node, browser: browser)
            }
            try await browser.step("first screen") {
                #expect(try await browser.isInFirstScreen("ul.downloads a[href$='.csv']"), "CSV in the first screen")
                #expect(
                    try await browser.isInFirstScreen("#get-data a[href*='tab=api']"), "the API in the first screen")
                let badges = try await browser.elements("ul.downloads a")
                var labels: [String] = []
                for badge in badges { labels.append(try await browser.text(of: badge)) }
                #expect(labels == ["CSV", "JSON", "XLSX"], "only real formats: \(labels)")
                try await browser.setWindowSize(width: 390, height: 844)
                try await browser.open(url)
                #expect(
                    try await browser.isInFirstScreen("ul.downloads a[href$='.csv']"), "CSV in a phone's first screen")
                try await Self.screenshot(browser, "dataset-390")
                try await browser.setWindowSize(width: 1280, height: 1000)
            }
            try await browser.step("tabs") {
                #expect(try await browser.attribute("aria-current", of: "nav.tabs a[href$='#dataset-tabs']") == "page")
                #expect(try await browser.text("#tab-heading") == "数据项")
                #expect(try await browser.text(".tab-panel table").contains("经度"))
                try await browser.click("nav.tabs a[href*='tab=api']")
                _ = try await browser.waitForURL("the API tab") { $0.contains("tab=api") }
                #expect(try await browser.text("#tab-heading") == "接口")
                #expect(try await browser.text(".tab-panel pre").contains("curl"))
                #expect(try await browser.attribute("aria-current", of: "nav.tabs a[href*='tab=api']") == "page")
                try await browser.click("nav.tabs a[href*='tab=versions']")
                _ = try await browser.waitForURL("the versions tab") { $0.contains("tab=versions") }
                #expect(try await browser.text("#tab-heading") == "版本")
                try await browser.click("nav.tabs a[href*='tab=quality']")
                _ = try await browser.waitForURL("the quality tab") { $0.contains("tab=quality") }
                #expect(try await browser.text("#tab-heading") == "质量")
            }
            try await browser.step("map") {
                try await browser.click("nav.tabs a[href*='tab=preview']")
                _ = try await browser.waitForURL("the preview tab") { $0.contains("tab=preview") }
                _ = try await browser.element("#preview-map[data-points]")
                let points = Int(try await browser.attribute("data-points", of: "#preview-map") ?? "") ?? 0
                #expect(points > 40, "the preview's stops are on the map: \(points)")
                let markers =
                    try await browser.execute(
                        "return document.querySelectorAll('#preview-map path.leaflet-interactive').length") as? Int
                #expect(markers == points, "Leaflet drew one marker per stop")
                #expect(try await browser.elements("svg#preview-chart rect.bar").count > 0, "the fares are charted")
                try await Self.screenshot(browser, "dataset-map")
            }
        }
    }

    @Test("discovery: subject areas with icons, and the sort orders 最新 / 最热 / 下载最多 follow views and downloads")
    func discoverySorts() async throws {
        try await Self.withNode("discovery") { node, browser in
            let busStops = try await browser.step("areas") {
                try await browser.open(node.baseURL + "/")
                let areas = try await browser.elements("ul.areas a")
                #expect(areas.count >= 5, "the subject areas are listed")
                #expect(
                    try await browser.elements("ul.areas a svg.area-icon").count == areas.count, "each with its icon")
                try await browser.click("ul.areas a[href*='area=transport']")
                _ = try await browser.waitForURL("the transport area") { $0.contains("area=transport") }
                #expect(try await browser.text("li.dataset h3 a") == Self.busStops)
                try await browser.click("li.dataset h3 a")
                return try await browser.waitForURL("the bus stops") { $0.contains("/datasets/") }
            }
            try await browser.step("downloads count") {
                // Two downloads of the bus stops make them the most downloaded.
                for _ in 0..<2 {
                    let response = try await HTTPClient.shared.execute(
                        HTTPClientRequest(url: busStops + "/download.json"), timeout: .seconds(30))
                    #expect(response.status == .ok)
                    _ = try await response.body.collect(upTo: 16 * 1024 * 1024)
                }
                try await browser.open(node.baseURL + "/datasets")
                try await browser.click("nav.sorts a[href*='sort=downloads']")
                _ = try await browser.waitForURL("most downloaded") { $0.contains("sort=downloads") }
                #expect(try await browser.text("nav.sorts a[aria-current]") == "下载最多")
                #expect(try await browser.text("li.dataset h3 a") == Self.busStops)
                #expect(try await browser.text("li.dataset .usage").contains("2 次下载"))
            }
            try await browser.step("views count") {
                let schools = try await Self.datasetURL(Self.schools, "中小学", node: node, browser: browser)
                try await browser.open(schools)
                try await browser.open(node.baseURL + "/datasets?sort=views")
                #expect(try await browser.text("li.dataset h3 a") == Self.schools, "the most viewed first")
                #expect(try await browser.text("nav.sorts a[aria-current]") == "最热")
                try await browser.click("nav.sorts a[href*='sort=newest']")
                _ = try await browser.waitForURL("newest") { $0.contains("sort=newest") }
                #expect(try await browser.text("nav.sorts a[aria-current]") == "最新")
            }
        }
    }

    @Test(
        "the API reference is a readable page rendered from the contract, linked from the portal, with an example per route"
    )
    func apiReference() async throws {
        try await Self.withNode("api-reference") { node, browser in
            try await browser.step("reference") {
                try await browser.open(node.baseURL + "/")
                try await browser.click("a[href='/developers/api']")
                _ = try await browser.waitForURL("the API reference") { $0.contains("/developers/api") }
                #expect(try await browser.text("h1") == "接口参考")
                #expect(try await browser.elements("details summary a").count > 10, "every group is listed")
                try await browser.click("a[href='/developers/api?tag=open%20data']")
                _ = try await browser.waitForURL("the open-data group") { $0.contains("tag=open%20data") }
                let section = try await browser.text("section.operation")
                #expect(section.contains("/api/v1/open/datasets/{reference}/rows"))
                #expect(section.contains("X-API-Key"), "the example call carries the developer key")
                #expect(try await browser.text("section.operation pre").hasPrefix("curl -sS"))
                #expect(
                    try await browser.execute("return document.title") as? String == "接口参考 · open data · 汇通公共数据资源平台")
            }
        }
    }

    static func withNode(_ name: String, _ body: (CascadeNode, WebDriver) async throws -> Void) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CascadeProcessTests.executable.path))
        let node = try await CascadeNode.prepare(region: "341500", name: "六安市数据资源管理局")
        defer {
            node.stop()
            node.remove()
        }
        try await node.start()
        let browser = try await WebDriver.start(name: name)
        do {
            try await body(node, browser)
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    /// 张小明 (ID 11010519491231002X) registers on the portal, which signs him in.
    static func register(
        _ email: String, password: String, organisation: String? = nil, on node: CascadeNode, with browser: WebDriver
    ) async throws {
        try await browser.deleteCookies()
        try await browser.open(node.baseURL + "/portal/register")
        try await browser.type(email, into: "#field-email")
        try await browser.type("张小明", into: "#field-name")
        try await browser.type("11010519491231002X", into: "#field-idNumber")
        if let organisation { try await browser.type(organisation, into: "#field-organisation") }
        try await browser.type(password, into: "#field-password")
        try await browser.click("input[name=acceptedAgreement]")
        try await browser.click("form[action='/portal/register'] button[type=submit]")
        _ = try await browser.waitForURL("the developer centre") { $0.contains("done=registered") }
    }

    /// Saves the page for the README when HUITONG_SCREENSHOTS names a directory.
    static func screenshot(_ browser: WebDriver, _ name: String) async throws {
        guard let directory = ProcessInfo.processInfo.environment["HUITONG_SCREENSHOTS"], !directory.isEmpty else {
            return
        }
        let base = URL(
            fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try await browser.saveScreenshot(to: base.appendingPathComponent("\(name).png"))
    }

    /// RFC 4180 rows: quoted fields may hold commas, quotes (doubled) and line breaks.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = characters.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"": quoted = true
            case ",":
                row.append(field)
                field = ""
            case "\n", "\r\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            case "\r": break
            default: field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
